import { TokenEndpointError } from '@tokenflight/core'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { createOAuthSimulator, type OAuthSimulator, type RequestEcho } from '../src/index.js'

const server = setupServer()
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
afterEach(() => server.resetHandlers())
afterAll(() => server.close())

function start(options: Parameters<typeof createOAuthSimulator>[0] = {}): OAuthSimulator {
  const simulator = createOAuthSimulator(options)
  server.use(...simulator.handlers)
  return simulator
}

function tokenRequest(
  simulator: OAuthSimulator,
  fields: Record<string, string>,
  init: RequestInit = {},
) {
  return fetch(simulator.tokenUrl, { method: 'POST', body: new URLSearchParams(fields), ...init })
}

function refreshRequest(simulator: OAuthSimulator, refreshToken: string) {
  return tokenRequest(simulator, { grant_type: 'refresh_token', refresh_token: refreshToken })
}

function callApi(
  simulator: OAuthSimulator,
  accessToken: string | undefined,
  init: RequestInit = {},
) {
  const headers = new Headers(init.headers)
  if (accessToken !== undefined) headers.set('Authorization', `Bearer ${accessToken}`)
  return fetch(`${simulator.apiUrl}/things?page=2`, { ...init, headers })
}

describe('token endpoint', () => {
  describe('when a refresh token is exchanged', () => {
    it('answers a standard token response with a new, rotated refresh token', async () => {
      const simulator = start({ accessTokenLifetimeMs: 120_000 })
      const { refreshToken } = simulator.signIn()

      const response = await refreshRequest(simulator, refreshToken ?? '')
      const body = await response.json()

      expect(response.status).toBe(200)
      expect(response.headers.get('cache-control')).toBe('no-store')
      expect(body).toEqual({
        access_token: expect.any(String),
        token_type: 'Bearer',
        expires_in: 120,
        refresh_token: expect.any(String),
      })
      expect(body.refresh_token).not.toBe(refreshToken)
      expect(simulator.stats.refreshCalls).toBe(1)
    })

    it('omits the refresh token when rotation is off, and keeps the old one usable', async () => {
      const simulator = start({ rotateRefreshTokens: false })
      const { refreshToken = '' } = simulator.signIn()

      const first = await (await refreshRequest(simulator, refreshToken)).json()
      const second = await refreshRequest(simulator, refreshToken)

      expect(first.refresh_token).toBeUndefined()
      expect(second.status).toBe(200)
    })
  })

  describe('when a used refresh token comes back', () => {
    it('answers invalid_grant and counts the reuse', async () => {
      const simulator = start()
      const { refreshToken = '' } = simulator.signIn()
      await refreshRequest(simulator, refreshToken)

      const reuse = await refreshRequest(simulator, refreshToken)

      expect(reuse.status).toBe(400)
      expect(await reuse.json()).toMatchObject({ error: 'invalid_grant' })
      expect(simulator.stats.reusedRefreshTokens).toBe(1)
    })

    it('revokes the whole token family when reuse detection is on', async () => {
      const simulator = start({ reuseDetection: true })
      const { refreshToken = '' } = simulator.signIn()
      const rotated = await (await refreshRequest(simulator, refreshToken)).json()

      await refreshRequest(simulator, refreshToken)

      expect((await refreshRequest(simulator, rotated.refresh_token)).status).toBe(400)
      expect((await callApi(simulator, rotated.access_token)).status).toBe(401)
    })

    it('leaves the family alone when reuse detection is off', async () => {
      const simulator = start()
      const { refreshToken = '' } = simulator.signIn()
      const rotated = await (await refreshRequest(simulator, refreshToken)).json()

      await refreshRequest(simulator, refreshToken)

      expect((await refreshRequest(simulator, rotated.refresh_token)).status).toBe(200)
    })
  })

  describe('when a client asks for client credentials', () => {
    it('issues an access token without a refresh token', async () => {
      const simulator = start()

      const body = await (
        await tokenRequest(simulator, { grant_type: 'client_credentials' })
      ).json()

      expect(body.refresh_token).toBeUndefined()
      expect((await callApi(simulator, body.access_token)).status).toBe(200)
    })
  })

  describe('when the request is not a valid token request', () => {
    it('answers RFC 6749 errors for a bad grant, a JSON body and a bearer token', async () => {
      const simulator = start()
      const { accessToken } = simulator.signIn()

      const unsupported = await tokenRequest(simulator, { grant_type: 'password' })
      const json = await fetch(simulator.tokenUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: '{"grant_type":"client_credentials"}',
      })
      const bearer = await tokenRequest(
        simulator,
        { grant_type: 'client_credentials' },
        { headers: { Authorization: `Bearer ${accessToken}` } },
      )

      expect([unsupported.status, (await unsupported.json()).error]).toEqual([
        400,
        'unsupported_grant_type',
      ])
      expect([json.status, (await json.json()).error]).toEqual([400, 'invalid_request'])
      expect([bearer.status, (await bearer.json()).error]).toEqual([401, 'invalid_client'])
    })
  })

  describe('when client credentials are required', () => {
    it('accepts HTTP Basic or form credentials and rejects wrong ones', async () => {
      const simulator = start({ client: { id: 'app', secret: 's3cret' } })
      const grant = { grant_type: 'client_credentials' }

      const basic = await tokenRequest(simulator, grant, {
        headers: { Authorization: `Basic ${btoa('app:s3cret')}` },
      })
      const inForm = await tokenRequest(simulator, {
        ...grant,
        client_id: 'app',
        client_secret: 's3cret',
      })
      const wrong = await tokenRequest(simulator, {
        ...grant,
        client_id: 'app',
        client_secret: 'nope',
      })

      expect([basic.status, inForm.status, wrong.status]).toEqual([200, 200, 401])
    })
  })

  describe('when its refresh function meets a failure', () => {
    it("rejects with core's TokenEndpointError, with the code, the status and Retry-After", async () => {
      const simulator = start()
      const tokens = simulator.signIn()
      simulator.failTokenRequests('rate-limited')
      const limited = simulator.refresh({ tokens, signal: new AbortController().signal })
      await expect(limited).rejects.toBeInstanceOf(TokenEndpointError)
      await expect(limited).rejects.toMatchObject({ status: 429, retryAfterMs: 1_000 })
      simulator.failTokenRequests('invalid_grant')
      await expect(
        simulator.refresh({ tokens, signal: new AbortController().signal }),
      ).rejects.toMatchObject({ status: 400, error: 'invalid_grant' })
    })
  })

  describe('when failures are injected', () => {
    it('answers each failure once, then normally', async () => {
      const simulator = start()
      const grant = { grant_type: 'client_credentials' }
      simulator.failTokenRequests('invalid_grant')
      simulator.failTokenRequests('server-error')
      simulator.failTokenRequests('rate-limited')
      simulator.failTokenRequests('malformed-body')

      const responses = []
      for (let i = 0; i < 4; i++) responses.push(await tokenRequest(simulator, grant))
      const malformedBody = await responses[3]?.text()

      expect(responses.map((response) => response.status)).toEqual([400, 500, 429, 200])
      expect(() => JSON.parse(malformedBody ?? '')).toThrow(SyntaxError)
      expect((await tokenRequest(simulator, grant)).status).toBe(200)
    })

    it('fails the connection for a network error', async () => {
      const simulator = start()
      simulator.failTokenRequests('network-error')

      await expect(tokenRequest(simulator, { grant_type: 'client_credentials' })).rejects.toThrow(
        TypeError,
      )
    })

    it('keeps a hung request open until the client aborts it', async () => {
      const simulator = start()
      simulator.failTokenRequests('hang', { times: Number.POSITIVE_INFINITY })
      const controller = new AbortController()

      const request = tokenRequest(
        simulator,
        { grant_type: 'client_credentials' },
        { signal: controller.signal },
      )
      await vi.waitFor(() => expect(simulator.stats.refreshCalls).toBe(1))
      controller.abort()

      await expect(request).rejects.toMatchObject({ name: 'AbortError' })
    })
  })

  describe('when token requests are held', () => {
    it('answers them only once the gate is released', async () => {
      const simulator = start()
      const gate = simulator.holdTokenRequests(2)
      let answered = 0

      const requests = [1, 2].map(() =>
        tokenRequest(simulator, { grant_type: 'client_credentials' }).then((response) => {
          answered++
          return response.status
        }),
      )
      await gate.arrived
      const heldBeforeRelease = gate.held
      const answeredBeforeRelease = answered
      gate.release()

      expect(await Promise.all(requests)).toEqual([200, 200])
      expect([heldBeforeRelease, answeredBeforeRelease]).toEqual([2, 0])
    })
  })
})

describe('protected API', () => {
  describe('when a request carries a valid token', () => {
    it('echoes the method, path, query, headers and body, without the token', async () => {
      const simulator = start()
      const { accessToken } = simulator.signIn()

      const response = await callApi(simulator, accessToken, {
        method: 'PUT',
        headers: { 'Content-Type': 'text/plain', 'X-Trace': '7' },
        body: 'héllo',
      })
      const echo: RequestEcho = await response.json()

      expect(echo).toMatchObject({ method: 'PUT', path: '/things', search: '?page=2' })
      expect(echo.headers['x-trace']).toBe('7')
      expect(echo.headers.authorization).toBeUndefined()
      expect(echo.body).toEqual({ size: 6, text: 'héllo', base64: 'aMOpbGxv' })
      expect(simulator.stats.requestsByToken.get(accessToken)).toBe(1)
    })

    it('lists the fields of a multipart form, files included', async () => {
      const simulator = start()
      const form = new FormData()
      form.append('name', 'report')
      form.append('file', new Blob(['a,b'], { type: 'text/csv' }), 'report.csv')

      const echo: RequestEcho = await (
        await callApi(simulator, simulator.signIn().accessToken, { method: 'POST', body: form })
      ).json()

      expect(echo.body.form).toEqual([
        ['name', 'report'],
        ['file', { filename: 'report.csv', type: 'text/csv', size: 3, text: 'a,b' }],
      ])
    })
  })

  describe('when a request carries no token, an unknown one, or one of another scheme', () => {
    it('answers 401 with a challenge and counts each', async () => {
      const simulator = start()
      const { accessToken } = simulator.signIn()

      const missing = await callApi(simulator, undefined)
      const unknown = await callApi(simulator, 'not-a-token')
      const wrongScheme = await fetch(`${simulator.apiUrl}/x`, {
        headers: { Authorization: `MAC ${accessToken}` },
      })

      expect([missing.status, unknown.status, wrongScheme.status]).toEqual([401, 401, 401])
      expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="api"')
      expect(unknown.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"')
      expect(simulator.stats.unauthorizedResponses).toBe(3)
    })
  })

  describe('when access tokens expire', () => {
    it('rejects them after their lifetime on the simulator clock', async () => {
      const simulator = start({ accessTokenLifetimeMs: 1_000, now: () => 1_000_000 })
      const { accessToken, expiresAt } = simulator.signIn()

      const before = await callApi(simulator, accessToken)
      simulator.clock.advance(1_000)
      const after = await callApi(simulator, accessToken)

      expect(expiresAt).toBe(simulator.clock.now())
      expect([before.status, after.status]).toEqual([200, 401])
    })

    it('rejects every issued token after expireAccessTokens, but refreshes still work', async () => {
      const simulator = start()
      const { accessToken, refreshToken = '' } = simulator.signIn()

      simulator.expireAccessTokens()

      expect((await callApi(simulator, accessToken)).status).toBe(401)
      const refreshed = await (await refreshRequest(simulator, refreshToken)).json()
      expect((await callApi(simulator, refreshed.access_token)).status).toBe(200)
    })
  })

  describe('when the session is revoked', () => {
    it('rejects its access token and its refresh token', async () => {
      const simulator = start()
      const { accessToken, refreshToken = '' } = simulator.signIn()

      simulator.revokeSession()

      expect((await callApi(simulator, accessToken)).status).toBe(401)
      expect(await (await refreshRequest(simulator, refreshToken)).json()).toMatchObject({
        error: 'invalid_grant',
      })
    })
  })

  describe('when API failures are injected', () => {
    it('answers authorized requests with the status, then echoes again', async () => {
      const simulator = start()
      const { accessToken } = simulator.signIn()
      simulator.failApiRequests(503, { times: 2 })

      const statuses = []
      for (let i = 0; i < 3; i++) statuses.push((await callApi(simulator, accessToken)).status)

      expect(statuses).toEqual([503, 503, 200])
    })
  })

  describe('when API requests are held', () => {
    it('checks the token on release, so a token expired meanwhile is rejected', async () => {
      const simulator = start()
      const { accessToken } = simulator.signIn()
      const gate = simulator.holdApiRequests()

      const held = callApi(simulator, accessToken)
      await gate.arrived
      simulator.expireAccessTokens()
      gate.release()

      expect((await held).status).toBe(401)
      expect(simulator.stats.apiRequests.map((request) => request.status)).toEqual([401])
    })
  })
})

describe('refresh function', () => {
  describe('when given a refresh token', () => {
    it('resolves the rotated token set, expiring on the simulator clock', async () => {
      const simulator = start({ accessTokenLifetimeMs: 60_000, now: () => 1_000_000 })
      simulator.clock.advance(5_000)
      const signedIn = simulator.signIn({ scope: 'read' })

      const tokens = await simulator.refresh({
        tokens: signedIn,
        signal: new AbortController().signal,
      })

      expect(tokens).toEqual({
        accessToken: expect.any(String),
        refreshToken: expect.any(String),
        expiresAt: simulator.clock.now() + 60_000,
        tokenType: 'Bearer',
        scope: 'read',
      })
      expect(tokens.refreshToken).not.toBe(signedIn.refreshToken)
    })
  })

  describe('when given no tokens', () => {
    it('mints a token with the client credentials grant, authenticating the client', async () => {
      const simulator = start({ client: { id: 'app', secret: 'p@ss:word' } })

      const tokens = await simulator.refresh({
        tokens: undefined,
        signal: new AbortController().signal,
      })

      expect(tokens.refreshToken).toBeUndefined()
      expect((await callApi(simulator, tokens.accessToken)).status).toBe(200)
    })
  })

  describe('when the token endpoint answers an error', () => {
    it('throws an error carrying the RFC 6749 code and no token', async () => {
      const simulator = start()
      const signedIn = simulator.signIn()
      simulator.failTokenRequests('invalid_grant')

      const error = await simulator
        .refresh({ tokens: signedIn, signal: new AbortController().signal })
        .catch((caught: unknown) => caught)

      expect(error).toMatchObject({ error: 'invalid_grant', status: 400 })
      for (const token of simulator.issuedTokens()) expect(String(error)).not.toContain(token)
    })

    it('throws without quoting a body that is not JSON', async () => {
      const simulator = start()
      simulator.failTokenRequests('malformed-body')

      await expect(
        simulator.refresh({ tokens: undefined, signal: new AbortController().signal }),
      ).rejects.toThrow('Token endpoint answered 200 with a body that is not JSON')
    })
  })
})

describe('options', () => {
  it('throws a TypeError naming a bad option', () => {
    expect(() => createOAuthSimulator({ accessTokenLifetimeMs: -1 })).toThrow(
      /`accessTokenLifetimeMs`/,
    )
    expect(() => createOAuthSimulator({ apiUrl: '/api' })).toThrow(/`apiUrl`/)
    expect(() => createOAuthSimulator({ tokenType: 'Bad Type' })).toThrow(/`tokenType`/)
  })
})
