import {
  createDPoPHandle,
  createTokenRefresher,
  type DPoPHandle,
  parseTokenResponse,
  parseWwwAuthenticate,
  RefreshFailedError,
  type RefreshFunction,
  RefreshTimeoutError,
  SessionExpiredError,
  TokenRefreshError,
  type TokenRefresher,
  type TokenRefresherOptions,
} from '@tokenflight/core'
import {
  createOAuthSimulator,
  type OAuthSimulator,
  type OAuthSimulatorOptions,
  type RequestEcho,
  type SimulatorDPoPOptions,
  type TokenFailure,
} from '@tokenflight/testing'
import { HttpResponse, http } from 'msw'
import { describe, expect, it, vi } from 'vitest'
import type {
  AdapterHarness,
  BodyKind,
  ContractAdapterOptions,
  ContractClient,
  ContractOutcome,
} from './adapter-harness.js'
import type { MockNetwork } from './mock-network.js'
import { nextTask } from './next-task.js'
import { contentTypeFor, createBody, expectedEcho } from './request-bodies.js'

const hourMs = 3_600_000
const elsewhere = 'https://elsewhere.example.test'

// Another origin, which tells whether a request reached it with an Authorization header.
const elsewhereHandler = http.all(`${elsewhere}/*`, ({ request }) =>
  HttpResponse.json({ authorization: request.headers.has('authorization') }),
)

// RFC 6750 §3.1: the token is valid, but the resource needs a scope it was not granted.
const insufficientScopeChallenge =
  'Bearer realm="api", error="insufficient_scope", error_description="Needs the \\"admin\\" scope", scope="admin"'

interface SetupOptions {
  simulator?: OAuthSimulatorOptions
  refresher?: Pick<TokenRefresherOptions, 'refreshTimeoutMs'>
  adapter?: ContractAdapterOptions
  /**
   * The refresh function calls the token endpoint through the client under test, passing the refresher's signal,
   * and either also opting out per request or relying on that signal alone.
   */
  refreshThroughClient?: 'opt-out' | 'signal-only'
  /** The client retries a 503 once, and this runs before it sends the request again. */
  retryOn503?: (simulator: OAuthSimulator) => void
}

interface Setup {
  simulator: OAuthSimulator
  refresher: TokenRefresher
  client: ContractClient
  api: (path: string) => string
}

/**
 * Registers the adapter contract, DESIGN.md behaviours 11 to 16, for one adapter and client configuration.
 *
 * @example
 * describeAdapterContract(fetchHarness, useNodeNetwork())
 */
export function describeAdapterContract(harness: AdapterHarness, network: MockNetwork): void {
  function setup(options: SetupOptions = {}): Setup {
    const simulator = createOAuthSimulator(options.simulator)
    network.use(...simulator.handlers, elsewhereHandler)
    let client: ContractClient | undefined
    const refreshThroughClient: RefreshFunction = async ({ tokens, signal }) => {
      const form = new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: tokens?.refreshToken ?? '',
      })
      const outcome = await client?.send({
        url: simulator.tokenUrl,
        method: 'POST',
        body: { kind: 'url-search-params', value: form },
        signal,
        optOut: options.refreshThroughClient === 'opt-out',
      })
      return parseTokenResponse(outcome?.body, { now: simulator.clock.now })
    }
    const refresher = createTokenRefresher({
      refresh: options.refreshThroughClient ? refreshThroughClient : simulator.refresh,
      initialTokens: simulator.signIn(),
      now: simulator.clock.now,
      ...options.refresher,
    })
    const { retryOn503 } = options
    client =
      retryOn503 === undefined
        ? harness.createClient(refresher, options.adapter)
        : harness.createRetryingClient(refresher, () => retryOn503(simulator))
    return { simulator, refresher, client, api: (path) => `${simulator.apiUrl}${path}` }
  }

  // DPoP mode: a refresher with a key of its own, signed in to a simulator that demands proofs of that key.
  async function setupDPoP(
    dpopOptions: SimulatorDPoPOptions = {},
  ): Promise<Setup & { dpop: DPoPHandle }> {
    const simulator = createOAuthSimulator({ dpop: dpopOptions })
    network.use(...simulator.handlers)
    const keyPair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, [
      'sign',
      'verify',
    ])
    const dpop = createDPoPHandle(keyPair)
    const refresher = createTokenRefresher({
      dpop,
      refresh: simulator.refresh,
      initialTokens: simulator.signIn({ jkt: await dpop.thumbprint() }),
      now: simulator.clock.now,
    })
    const client = harness.createClient(refresher)
    return { simulator, refresher, client, dpop, api: (path) => `${simulator.apiUrl}${path}` }
  }

  function expectUnauthorizedResult(outcome: ContractOutcome): void {
    expect(outcome).toMatchObject({ status: 401, httpError: harness.httpErrors === 'reject' })
  }

  function sendMany(
    client: ContractClient,
    url: string,
    count: number,
  ): Promise<ContractOutcome[]> {
    return Promise.all(Array.from({ length: count }, () => client.send({ url })))
  }

  async function rejectionsOf(requests: Array<Promise<unknown>>): Promise<unknown[]> {
    const results = await Promise.allSettled(requests)
    return results.map((result) => (result.status === 'rejected' ? result.reason : result.value))
  }

  describe(`adapter contract: ${harness.name}`, () => {
    describe('behaviour 11: the access token goes where it is allowed and nowhere else', () => {
      describe('when a request is sent with a fresh token', () => {
        it('sets Authorization to the token type and the access token, without a refresh', async () => {
          const { simulator, refresher, client, api } = setup()

          const outcome = await client.send({ url: api('/me') })

          expect(outcome.status).toBe(200)
          expect(
            simulator.stats.requestsByToken.get(refresher.getTokens()?.accessToken ?? ''),
          ).toBe(1)
          expect(simulator.stats.refreshCalls).toBe(0)
        })
      })

      describe('when the provider issues another token type', () => {
        it('uses that type as the Authorization scheme', async () => {
          const { simulator, client, api } = setup({ simulator: { tokenType: 'MAC' } })

          const outcome = await client.send({ url: api('/me') })

          expect(outcome.status).toBe(200)
          expect(simulator.stats.unauthorizedResponses).toBe(0)
        })
      })

      describe('when a request goes to an origin that is not on the allow-list', () => {
        it('sends it without a token, and still authorizes the listed origin', async () => {
          const { client, api } = setup({ adapter: { origins: ['https://api.example.test'] } })

          const other = await client.send({ url: `${elsewhere}/page` })
          const listed = await client.send({ url: api('/me') })

          expect(other.body).toEqual({ authorization: false })
          expect(listed.status).toBe(200)
        })
      })

      describe('when no allow-list is given', () => {
        it('authorizes requests to every origin', async () => {
          const { client } = setup()

          const other = await client.send({ url: `${elsewhere}/page` })

          expect(other.body).toEqual({ authorization: true })
        })
      })

      describe('when a request carries its own Authorization', () => {
        it('leaves the header alone and hands its 401 to the caller without a refresh', async () => {
          const { simulator, client, api } = setup()

          const outcome = await client.send({
            url: api('/me'),
            headers: { Authorization: 'Bearer own-token' },
          })

          expectUnauthorizedResult(outcome)
          expect(simulator.stats.requestsByToken.get('own-token')).toBe(1)
          expect(simulator.stats.apiRequests).toHaveLength(1)
          expect(simulator.stats.refreshCalls).toBe(0)
        })
      })
    })

    describe('behaviour 12: a 401 is answered with one refresh and one replay', () => {
      describe('when a hundred requests need a token that has expired', () => {
        it('refreshes once and sends all hundred with the new token', async () => {
          const { simulator, refresher, client, api } = setup()
          simulator.clock.advance(hourMs)

          const outcomes = await sendMany(client, api('/things'), 100)

          expect(outcomes.every((outcome) => outcome.status === 200)).toBe(true)
          expect(simulator.stats.refreshCalls).toBe(1)
          const newToken = refresher.getTokens()?.accessToken ?? ''
          expect(simulator.stats.requestsByToken.get(newToken)).toBe(100)
          expect(simulator.stats.unauthorizedResponses).toBe(0)
        })
      })

      describe('when a hundred requests are rejected with 401 at once', () => {
        it('refreshes once and replays all hundred with the new token', async () => {
          const { simulator, refresher, client, api } = setup()
          const oldToken = refresher.getTokens()?.accessToken ?? ''
          simulator.expireAccessTokens()

          const outcomes = await sendMany(client, api('/things'), 100)

          expect(outcomes.every((outcome) => outcome.status === 200)).toBe(true)
          expect(simulator.stats.refreshCalls).toBe(1)
          expect(simulator.stats.requestsByToken.get(oldToken)).toBe(100)
          const newToken = refresher.getTokens()?.accessToken ?? ''
          expect(simulator.stats.requestsByToken.get(newToken)).toBe(100)
        })
      })

      describe('when 401s for the old token arrive after the refresh finished', () => {
        it('replays them with the new token without a second refresh', async () => {
          const { simulator, client, api } = setup()
          const gate = simulator.holdApiRequests(3)
          const late = sendMany(client, api('/slow'), 3)
          await gate.arrived
          simulator.expireAccessTokens()

          const first = await client.send({ url: api('/fast') })
          gate.release()
          const lateOutcomes = await late

          expect(first.status).toBe(200)
          expect(lateOutcomes.map((outcome) => outcome.status)).toEqual([200, 200, 200])
          expect(simulator.stats.unauthorizedResponses).toBe(4)
          expect(simulator.stats.refreshCalls).toBe(1)
        })
      })

      describe('when the replay is rejected with 401 as well', () => {
        it('replays only once and hands the second 401 to the caller as the client does', async () => {
          const { simulator, client, api } = setup()
          simulator.failApiRequests(401, { times: 3 })

          const outcome = await client.send({ url: api('/me') })

          expectUnauthorizedResult(outcome)
          expect(simulator.stats.apiRequests).toHaveLength(2)
          expect(simulator.stats.refreshCalls).toBe(1)
        })
      })

      describe("when the client's retry sends a request again after a 503, and the API rejected its token meanwhile", () => {
        it('sends it with the current token, answers its 401 with one refresh and one replay, and succeeds', async () => {
          const { simulator, refresher, client, api } = setup({
            retryOn503: (simulator) => simulator.expireAccessTokens(),
          })
          const oldToken = refresher.getTokens()?.accessToken
          simulator.failApiRequests(503)

          const outcome = await client.send({ url: api('/me') })

          expect(outcome.status).toBe(200)
          expect(simulator.stats.apiRequests.map((request) => request.status)).toEqual([
            503, 401, 200,
          ])
          expect(simulator.stats.apiRequests[1]?.accessToken).toBe(oldToken)
          expect(simulator.stats.refreshCalls).toBe(1)
        })
      })

      describe('when isUnauthorized also recognises 403', () => {
        it('refreshes and replays after a 403', async () => {
          const { simulator, client, api } = setup({
            adapter: { isUnauthorized: (response) => response.status === 403 },
          })
          simulator.failApiRequests(403)

          const outcome = await client.send({ url: api('/me') })

          expect(outcome.status).toBe(200)
          expect(simulator.stats.apiRequests.map((request) => request.status)).toEqual([403, 200])
          expect(simulator.stats.refreshCalls).toBe(1)
        })
      })
    })

    describe('behaviour 13: the replay carries the same request', () => {
      const replayable: Array<[BodyKind, string]> = [
        ['json', 'POST'],
        ['text', 'PUT'],
        ['url-search-params', 'POST'],
        ['form-data', 'POST'],
        ['blob', 'PUT'],
        ['array-buffer', 'POST'],
      ]
      for (const [kind, method] of replayable) {
        describe(`when a ${method} with a ${kind} body is rejected with 401`, () => {
          it('replays it with the same method, URL, headers and body', async () => {
            const { simulator, client, api } = setup()
            simulator.expireAccessTokens()

            const outcome = await client.send({
              url: api('/upload?q=1'),
              method,
              headers: { 'X-Request-Id': 'r-42', ...contentTypeFor(kind) },
              body: createBody(kind),
            })

            expect(outcome.status).toBe(200)
            const echo = outcome.body as RequestEcho
            expect(echo).toMatchObject({ method, path: '/upload', search: '?q=1' })
            expect(echo.headers['x-request-id']).toBe('r-42')
            expect(echo.body).toMatchObject(expectedEcho(kind))
            expect(simulator.stats.apiRequests.map((request) => request.status)).toEqual([401, 200])
            expect(simulator.stats.apiRequests[0]?.bodySize).toBe(echo.body.size)
          })
        })
      }

      if (harness.streamBodies === 'replayed') {
        describe('when a POST with a one-shot stream body is rejected with 401', () => {
          it('replays the copy of the stream the client keeps, intact', async () => {
            const { simulator, client, api } = setup()
            simulator.expireAccessTokens()

            const outcome = await client.send({
              url: api('/upload'),
              method: 'POST',
              headers: contentTypeFor('stream'),
              body: createBody('stream'),
            })

            expect(outcome.status).toBe(200)
            expect((outcome.body as RequestEcho).body).toMatchObject(expectedEcho('stream'))
          })
        })
      }

      if (harness.streamBodies === 'not-replayed') {
        describe('when a POST with a one-shot stream body is rejected with 401', () => {
          it('hands the 401 to the caller rather than replay an empty body, and refreshes for the next request', async () => {
            const { simulator, client, api } = setup()
            simulator.expireAccessTokens()

            const outcome = await client.send({
              url: api('/upload'),
              method: 'POST',
              headers: contentTypeFor('stream'),
              body: createBody('stream'),
            })
            const next = await client.send({ url: api('/me') })

            expectUnauthorizedResult(outcome)
            expect(simulator.stats.apiRequests[0]?.bodySize).toBe(
              expectedEcho('stream').text?.length,
            )
            expect(simulator.stats.apiRequests.map((request) => request.status)).toEqual([401, 200])
            expect(next.status).toBe(200)
            expect(simulator.stats.refreshCalls).toBe(1)
          })
        })
      }
    })

    describe('behaviour 14: the refresh call does not pass through the adapter', () => {
      const situations: Array<[string, (simulator: OAuthSimulator) => void]> = [
        ['the token has expired', (simulator) => simulator.clock.advance(hourMs)],
        ['the API rejects the token', (simulator) => simulator.expireAccessTokens()],
      ]
      for (const [situation, arrange] of situations) {
        describe(`when ${situation} and the refresh function calls the token endpoint through the same client, opting out`, () => {
          it('refreshes once, without waiting on itself or sending the token request a bearer token', async () => {
            const { simulator, client, api } = setup({
              refreshThroughClient: 'opt-out',
              // A refresh that waited on its own token request would fail here instead of hanging the test.
              refresher: { refreshTimeoutMs: 2_000 },
            })
            arrange(simulator)

            const outcome = await client.send({ url: api('/me') })

            expect(outcome.status).toBe(200)
            expect(simulator.stats.refreshCalls).toBe(1)
          })
        })

        describe(`when ${situation} and the refresh function calls the token endpoint through the same client with only its signal`, () => {
          if (harness.recognizesRefreshSignal) {
            it('recognizes the refresh signal and refreshes once, without waiting on itself', async () => {
              const { simulator, client, api } = setup({
                refreshThroughClient: 'signal-only',
                refresher: { refreshTimeoutMs: 2_000 },
              })
              arrange(simulator)

              const outcome = await client.send({ url: api('/me') })

              expect(outcome.status).toBe(200)
              expect(simulator.stats.refreshCalls).toBe(1)
            })
          } else {
            it("cannot tell the token request apart, so the request fails with core's typed error instead of hanging", async () => {
              const { simulator, client, api } = setup({
                refreshThroughClient: 'signal-only',
                refresher: { refreshTimeoutMs: 300 },
              })
              arrange(simulator)

              const error = await client
                .send({ url: api('/me') })
                .catch((caught: unknown) => caught)

              // With an expired token the token request waits for its own refresh until the timeout; with a
              // rejected one it is sent with that token, which the token endpoint refuses.
              expect(error).toBeInstanceOf(TokenRefreshError)
              expect(simulator.stats.reusedRefreshTokens).toBe(0)
            })
          }
        })
      }
    })

    describe("behaviour 15: a failed refresh rejects the request with core's typed error", () => {
      const transientFailures: TokenFailure[] = [
        'server-error',
        'rate-limited',
        'network-error',
        'malformed-body',
      ]
      for (const failure of transientFailures) {
        describe(`when the refresh fails for a moment (${failure})`, () => {
          it('rejects every waiting request with RefreshFailedError, and the first request after the back-off refreshes again', async () => {
            const { simulator, client, api } = setup()
            simulator.clock.advance(hourMs)
            simulator.failTokenRequests(failure)

            const errors = await rejectionsOf(
              Array.from({ length: 5 }, () => client.send({ url: api('/me') })),
            )
            // Behaviour 22: the back-off after a transient failure is at most `maxRefreshBackoffMs`.
            simulator.clock.advance(60_000)
            const next = await client.send({ url: api('/me') })

            expect(errors.every((error) => error instanceof RefreshFailedError)).toBe(true)
            expect(next.status).toBe(200)
            expect(simulator.stats.refreshCalls).toBe(2)
          })
        })
      }

      describe('when the token endpoint hangs past the refresh timeout', () => {
        it('rejects every waiting request with RefreshTimeoutError', async () => {
          // Long enough for the token request to reach the endpoint first: in a loaded Chromium it can take more than
          // 50 ms to get through MSW's worker, and a request given up before it arrives is not counted.
          const { simulator, client, api } = setup({ refresher: { refreshTimeoutMs: 500 } })
          simulator.clock.advance(hourMs)
          simulator.failTokenRequests('hang')

          const errors = await rejectionsOf(
            Array.from({ length: 3 }, () => client.send({ url: api('/me') })),
          )

          expect(errors.every((error) => error instanceof RefreshTimeoutError)).toBe(true)
          expect(simulator.stats.refreshCalls).toBe(1)
        })
      })

      describe('when the refresh token is rejected with invalid_grant', () => {
        it('rejects every waiting request with SessionExpiredError and calls the token endpoint no more', async () => {
          const { simulator, client, api } = setup()
          simulator.clock.advance(hourMs)
          simulator.failTokenRequests('invalid_grant')

          const waiting = await rejectionsOf(
            Array.from({ length: 5 }, () => client.send({ url: api('/me') })),
          )
          const later = await rejectionsOf(
            Array.from({ length: 3 }, () => client.send({ url: api('/me') })),
          )

          expect(
            [...waiting, ...later].every((error) => error instanceof SessionExpiredError),
          ).toBe(true)
          expect(simulator.stats.refreshCalls).toBe(1)
          expect(simulator.stats.apiRequests).toHaveLength(0)
          const shown = waiting.map((error) => `${String(error)} ${JSON.stringify(error)}`).join()
          for (const token of simulator.issuedTokens()) expect(shown).not.toContain(token)
        })
      })

      describe('when the session has expired and more requests are sent', () => {
        it('rejects each of them with SessionExpiredError at once, before any timer runs', async () => {
          const { simulator, client, api } = setup()
          simulator.revokeSession()
          await rejectionsOf([client.send({ url: api('/me') })])
          // From here on no timer fires: a client that waited for a retry delay would stay pending.
          vi.useFakeTimers({
            toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'],
          })
          try {
            const settled: unknown[] = []
            for (let index = 0; index < 3; index++) {
              client.send({ url: api('/me') }).then(
                () => settled.push('resolved'),
                (error: unknown) => settled.push(error),
              )
            }
            await nextTask()

            expect(settled).toHaveLength(3)
            expect(settled.every((error) => error instanceof SessionExpiredError)).toBe(true)
            expect(simulator.stats.refreshCalls).toBe(1)
          } finally {
            vi.useRealTimers()
          }
        })
      })

      describe('when the session was revoked and the API answers 401', () => {
        it('rejects the request with SessionExpiredError and sends no more requests', async () => {
          const { simulator, client, api } = setup()
          simulator.revokeSession()

          const [first] = await rejectionsOf([client.send({ url: api('/me') })])
          const [second] = await rejectionsOf([client.send({ url: api('/me') })])

          expect(first).toBeInstanceOf(SessionExpiredError)
          expect(second).toBeInstanceOf(SessionExpiredError)
          expect(simulator.stats.apiRequests).toHaveLength(1)
          expect(simulator.stats.refreshCalls).toBe(1)
        })
      })

      describe('when one of three requests waiting for a refresh is aborted (core behaviour 8)', () => {
        it('rejects that one as aborted and completes the other two after one refresh', async () => {
          const { simulator, client, api } = setup()
          simulator.clock.advance(hourMs)
          const gate = simulator.holdTokenRequests()
          const controller = new AbortController()

          const aborted = client.send({ url: api('/a'), signal: controller.signal }).then(
            () => 'resolved',
            (error: unknown) => error,
          )
          const others = sendMany(client, api('/b'), 2)
          await gate.arrived
          controller.abort()
          const abortResult = await aborted
          gate.release()

          expect(harness.isAbortError(abortResult)).toBe(true)
          expect((await others).map((outcome) => outcome.status)).toEqual([200, 200])
          expect(simulator.stats.refreshCalls).toBe(1)
          expect(simulator.stats.apiRequests).toHaveLength(2)
        })
      })
    })

    describe('behaviour 22: a 401 for a missing scope, and any 403, refresh nothing', () => {
      describe('when the API answers 401 with error="insufficient_scope"', () => {
        it("hands the 401 to the caller as the client's own result, with its challenge readable, and neither refreshes nor replays", async () => {
          const { simulator, client, api } = setup()
          const received: Array<string | null> = []
          network.use(
            http.all(api('/admin'), ({ request }) => {
              received.push(request.headers.get('authorization'))
              return new HttpResponse(null, {
                status: 401,
                headers: { 'WWW-Authenticate': insufficientScopeChallenge },
              })
            }),
          )

          const outcome = await client.send({ url: api('/admin') })

          expectUnauthorizedResult(outcome)
          expect(received).toHaveLength(1)
          expect(received[0]).toMatch(/^Bearer /)
          expect(simulator.stats.refreshCalls).toBe(0)
          expect(parseWwwAuthenticate(outcome.wwwAuthenticate)).toEqual([
            {
              scheme: 'bearer',
              params: {
                realm: 'api',
                error: 'insufficient_scope',
                error_description: 'Needs the "admin" scope',
                scope: 'admin',
              },
            },
          ])
        })
      })

      describe('when the API answers 403', () => {
        it("hands the 403 to the caller as the client's own result, and neither refreshes nor replays", async () => {
          const { simulator, client, api } = setup()
          simulator.failApiRequests(403)

          const outcome = await client.send({ url: api('/me') })

          expect(outcome).toMatchObject({ status: 403, httpError: harness.httpErrors === 'reject' })
          expect(simulator.stats.apiRequests.map((request) => request.status)).toEqual([403])
          expect(simulator.stats.refreshCalls).toBe(0)
        })
      })
    })

    describe('bad input (core behaviour 9): misuse throws a TypeError naming what is wrong', () => {
      const refresher = createTokenRefresher({
        refresh: () => Promise.reject(new Error('Not expected to refresh')),
      })

      it('names `refresher` when it is not a TokenRefresher', () => {
        expect(() => harness.createClient({} as never)).toThrow(TypeError)
        expect(() => harness.createClient({} as never)).toThrow(/`refresher`/)
      })

      it('names the option that has the wrong type, or is unknown', () => {
        expect(() =>
          harness.createClient(refresher, { origins: 'https://api.example.test' as never }),
        ).toThrow(/`origins`/)
        expect(() =>
          harness.createClient(refresher, { origins: ['https://api.example.test/v1'] }),
        ).toThrow(/`origins`/)
        expect(() => harness.createClient(refresher, { isUnauthorized: 401 as never })).toThrow(
          /`isUnauthorized`/,
        )
        expect(() => harness.createClient(refresher, { origin: [] } as never)).toThrow(
          'Unknown option `origin`',
        )
      })
    })

    describe('DPoP (RFC 9449): each request carries a proof of the key its token is bound to', () => {
      describe('when a request is sent with a fresh DPoP token and the API first wants its nonce', () => {
        it('sends Authorization: DPoP and a proof for that request, answers use_dpop_nonce once without a refresh, and keeps the nonce for the next request', async () => {
          const { simulator, client, api } = await setupDPoP()

          const first = await client.send({
            url: api('/upload?q=1'),
            method: 'POST',
            headers: contentTypeFor('json'),
            body: createBody('json'),
          })
          const second = await client.send({ url: api('/me') })

          expect(first.status).toBe(200)
          const echo = first.body as RequestEcho
          expect(echo).toMatchObject({ method: 'POST', path: '/upload', search: '?q=1' })
          expect(echo.body).toMatchObject(expectedEcho('json'))
          expect(echo.headers.dpop).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/)
          expect(second.status).toBe(200)
          expect(
            simulator.stats.apiRequests.map((request) => request.challenge ?? request.status),
          ).toEqual(['use_dpop_nonce', 200, 200])
          expect(simulator.stats.refreshCalls).toBe(0)
          expect(simulator.stats.invalidProofs).toBe(0)
        })
      })

      describe('when twenty requests cross a nonce rotation and an expiry', () => {
        it('refreshes once, answers each use_dpop_nonce once, and signs every attempt with a new jti', async () => {
          const { simulator, client, api } = await setupDPoP()
          await client.send({ url: api('/warm-up') })
          const gate = simulator.holdApiRequests(20)
          const burst = Promise.all(
            Array.from({ length: 20 }, (_, index) => client.send({ url: api(`/things/${index}`) })),
          )
          await gate.arrived
          simulator.dpop?.rotateNonce()
          simulator.expireAccessTokens()
          gate.release()
          const outcomes = await burst

          expect(outcomes.map((outcome) => outcome.status)).toEqual(Array(20).fill(200))
          // One token response; the token endpoint asked for its own nonce first.
          expect(simulator.stats.refreshCalls - simulator.stats.nonceChallenges.token).toBe(1)
          const attempts = simulator.stats.apiRequests.filter((request) =>
            request.url.includes('/things/'),
          )
          for (let index = 0; index < 20; index++) {
            const ofRequest = attempts.filter((request) => request.url.endsWith(`/things/${index}`))
            expect(ofRequest.map((request) => request.challenge ?? request.status)).toEqual([
              'use_dpop_nonce',
              'invalid_token',
              200,
            ])
          }
          const jtis = simulator.stats.apiRequests.map((request) => request.proof?.jti)
          expect(new Set(jtis).size).toBe(jtis.length)
          expect(simulator.stats.invalidProofs).toBe(0)
        })
      })

      describe('when the server takes a new nonce with every request', () => {
        it('sends one new proof, then hands the second use_dpop_nonce 401 to the caller without a refresh', async () => {
          const { simulator, client, api } = await setupDPoP({ rotateNonceEvery: 1 })

          const outcome = await client.send({ url: api('/me') })

          expectUnauthorizedResult(outcome)
          expect(simulator.stats.apiRequests.map((request) => request.challenge)).toEqual([
            'use_dpop_nonce',
            'use_dpop_nonce',
          ])
          expect(simulator.stats.refreshCalls).toBe(0)
        })
      })

      if (harness.streamBodies === 'not-replayed') {
        describe('when a POST with a one-shot stream body meets use_dpop_nonce', () => {
          it('hands the 401 to the caller rather than send the stream again empty', async () => {
            const { simulator, client, api } = await setupDPoP()

            const outcome = await client.send({
              url: api('/upload'),
              method: 'POST',
              headers: contentTypeFor('stream'),
              body: createBody('stream'),
            })

            expectUnauthorizedResult(outcome)
            expect(simulator.stats.apiRequests.map((request) => request.challenge)).toEqual([
              'use_dpop_nonce',
            ])
          })
        })
      }

      describe('when the token set is of type DPoP and the refresher has no `dpop` handle', () => {
        it('rejects the request with a TypeError naming the option, and sends nothing', async () => {
          const simulator = createOAuthSimulator({ dpop: true })
          network.use(...simulator.handlers)
          const refresher = createTokenRefresher({
            refresh: simulator.refresh,
            initialTokens: { accessToken: 'dpop-bound-token', tokenType: 'DPoP' },
          })
          const client = harness.createClient(refresher)

          const error = await client
            .send({ url: `${simulator.apiUrl}/me` })
            .catch((caught: unknown) => caught)

          expect(error).toBeInstanceOf(TypeError)
          expect(String(error)).toMatch(/`dpop`/)
          expect(String(error)).not.toContain('dpop-bound-token')
          expect(simulator.stats.apiRequests).toHaveLength(0)
        })
      })
    })

    describe('behaviour 16: a request can opt out', () => {
      describe('when a request opts out while the token has expired', () => {
        it('sends it without a token, does not refresh, and hands its 401 to the caller', async () => {
          const { simulator, client, api } = setup()
          simulator.clock.advance(hourMs)

          const outcome = await client.send({ url: api('/public'), optOut: true })

          expectUnauthorizedResult(outcome)
          expect(simulator.stats.apiRequests.map((request) => request.accessToken)).toEqual([
            undefined,
          ])
          expect(simulator.stats.refreshCalls).toBe(0)
        })
      })
    })
  })
}
