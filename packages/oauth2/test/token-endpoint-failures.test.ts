import type { IncomingMessage, ServerResponse } from 'node:http'
import { inspect } from 'node:util'
import {
  createTokenRefresher,
  RefreshFailedError,
  RefreshTimeoutError,
  SessionExpiredError,
  TokenEndpointError,
  type TokenRefreshEvent,
} from '@tokenflight/core'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  AuthorizationServerError,
  clientCredentialsGrant,
  refreshTokenGrant,
} from '../src/index.js'
import { closedPort, listen } from './support/ports.js'

// A token endpoint of our own, told by each test how to misbehave.
type Handler = (request: IncomingMessage, response: ServerResponse) => void
let handle: Handler
let server: Awaited<ReturnType<typeof listen>>
let tokenEndpoint: string
const requests: string[] = []
beforeAll(async () => {
  server = await listen((request, response) => {
    requests.push(request.url ?? '')
    handle(request, response)
  })
  tokenEndpoint = `${server.url}/token`
})
afterAll(() => server.close())
beforeEach(() => {
  requests.length = 0
})

const leakyToken = 'leaky-token-value-0123456789'
const tokens = { accessToken: 'current-access-token', refreshToken: 'current-refresh-token' }

function answer(
  status: number,
  contentType: string,
  body: string,
  headers: Record<string, string> = {},
): Handler {
  return (_request, response) => {
    response.writeHead(status, { 'content-type': contentType, ...headers })
    response.end(body)
  }
}

const goodAnswer = answer(
  200,
  'application/json',
  JSON.stringify({ access_token: 'fresh-access-token', token_type: 'Bearer', expires_in: 60 }),
)

/** Refreshes through a refresher, and returns what it rejected with. */
async function failedRefresh(): Promise<{
  error: unknown
  cause: unknown
  refresher: ReturnType<typeof createTokenRefresher>
  /** Moves the refresher's clock past the back-off that follows a transient failure. */
  passBackoff: () => void
  events: TokenRefreshEvent[]
  startedAt: number
}> {
  const startedAt = Date.now()
  let now = startedAt
  const events: TokenRefreshEvent[] = []
  const refresher = createTokenRefresher({
    now: () => now,
    initialTokens: tokens,
    refresh: refreshTokenGrant({
      tokenEndpoint,
      clientId: 'client',
      clientSecret: 'client-secret-value',
    }),
    onEvent: (event) => events.push(event),
  })
  const error = await refresher.refresh().catch((caught: unknown) => caught)
  const passBackoff = () => {
    now += 60_000
  }
  return { error, cause: (error as Error).cause, refresher, passBackoff, events, startedAt }
}

function expectNoSecretIn(error: unknown): void {
  for (const text of [String(error), JSON.stringify(error), inspect(error, { depth: 10 })]) {
    for (const secret of [leakyToken, tokens.refreshToken, 'client-secret-value']) {
      expect(text).not.toContain(secret)
    }
  }
}

describe('when the token endpoint cannot be reached', () => {
  it('fails the refresh as transient, keeps the tokens, and names the endpoint', async () => {
    const unreachable = `http://127.0.0.1:${await closedPort()}/token`
    const refresher = createTokenRefresher({
      initialTokens: tokens,
      refresh: refreshTokenGrant({ tokenEndpoint: unreachable, clientId: 'client' }),
    })
    const error = await refresher.refresh().catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(RefreshFailedError)
    const cause = (error as Error).cause
    expect(cause).toBeInstanceOf(AuthorizationServerError)
    expect((cause as Error).message).toBe(
      `Token endpoint ${unreachable} could not be reached (ECONNREFUSED)`,
    )
    expect(cause).toMatchObject({ status: undefined, endpoint: unreachable })
    expect(refresher.getTokens()).toEqual(tokens)
  })
})

describe('when the URL is not an OAuth token endpoint', () => {
  it('says so for an HTML error page', async () => {
    handle = answer(404, 'text/html; charset=utf-8', '<h1>Not Found</h1>')
    const { error, cause } = await failedRefresh()
    expect(error).toBeInstanceOf(RefreshFailedError)
    expect((cause as Error).message).toBe(
      `Token endpoint ${tokenEndpoint} answered HTTP 404 with text/html; charset=utf-8 instead of JSON: is it an OAuth 2 endpoint?`,
    )
    expect(cause).toMatchObject({ status: 404 })
  })

  it('says so for an HTML page answered with 200', async () => {
    handle = answer(200, 'text/html', '<html>Welcome</html>')
    const { cause } = await failedRefresh()
    expect((cause as Error).message).toBe(
      `Token endpoint ${tokenEndpoint} answered HTTP 200 with text/html instead of JSON: is it an OAuth 2 endpoint?`,
    )
  })
})

describe('when the answer is not a usable token response', () => {
  it('reports malformed JSON without quoting it', async () => {
    handle = answer(200, 'application/json', `{"access_token": "${leakyToken}", "token_type": `)
    const { error, cause } = await failedRefresh()
    expect(error).toBeInstanceOf(RefreshFailedError)
    expect((cause as Error).message).toBe(
      `Token endpoint ${tokenEndpoint} answered with malformed JSON`,
    )
    expect((cause as Error).cause).toBeUndefined()
    expectNoSecretIn(error)
  })

  it('names the missing field, not the token it came with', async () => {
    handle = answer(
      200,
      'application/json',
      JSON.stringify({ access_token: leakyToken, expires_in: 60 }),
    )
    const { error, cause } = await failedRefresh()
    expect((cause as Error).message).toBe(
      `Token endpoint ${tokenEndpoint} answered with an invalid response: "response" body "token_type" property must be a string`,
    )
    expectNoSecretIn(error)
  })

  it('reports a JSON array as an invalid response', async () => {
    handle = answer(200, 'application/json', JSON.stringify([leakyToken]))
    const { error, cause } = await failedRefresh()
    expect((cause as Error).message).toContain('answered with an invalid response')
    expectNoSecretIn(error)
  })
})

describe('when the server fails for a while', () => {
  it.each([500, 502, 503])(
    'treats HTTP %i as transient and tries again at the first call after the back-off',
    async (status) => {
      handle = answer(status, 'text/plain', 'down for maintenance')
      const { error, cause, refresher, passBackoff } = await failedRefresh()
      expect(error).toBeInstanceOf(RefreshFailedError)
      expect(cause).toMatchObject({ name: 'AuthorizationServerError', status })
      expect((cause as Error).message).toBe(
        `Token endpoint ${tokenEndpoint} answered HTTP ${status}`,
      )
      expect(refresher.getTokens()).toEqual(tokens)
      handle = goodAnswer
      await expect(refresher.getAccessToken()).resolves.toBe('current-access-token')
      await expect(refresher.refresh()).rejects.toBe(error)
      passBackoff()
      await expect(refresher.refresh()).resolves.toMatchObject({
        accessToken: 'fresh-access-token',
      })
    },
  )

  it('treats 429 as transient, with or without an OAuth error body', async () => {
    handle = answer(429, 'text/plain', 'slow down', { 'retry-after': '5' })
    const limited = await failedRefresh()
    expect(limited.cause).toBeInstanceOf(TokenEndpointError)
    expect(limited.cause).toMatchObject({ status: 429, error: undefined, retryAfterMs: 5_000 })
    // The refresher's back-off honours it.
    const failed = limited.events.find((event) => event.type === 'refresh-failed')
    expect(failed).toMatchObject({ retryAt: limited.startedAt + 5_000 })
    handle = answer(429, 'application/json', JSON.stringify({ error: 'slow_down' }))
    const { error, cause } = await failedRefresh()
    expect(error).toBeInstanceOf(RefreshFailedError)
    expect(cause).toMatchObject({ status: 429, error: 'slow_down' })
  })
})

describe('when the server rejects the client', () => {
  it('reports a 401 challenge as a transient AuthorizationServerError with its error code', async () => {
    handle = answer(401, 'application/json', JSON.stringify({ error: 'invalid_client' }), {
      'www-authenticate': 'Basic realm="token", error="invalid_client"',
    })
    const { error, cause } = await failedRefresh()
    expect(error).toBeInstanceOf(RefreshFailedError)
    expect(cause).toMatchObject({ status: 401, error: 'invalid_client' })
    expectNoSecretIn(error)
  })
})

describe('when the refresh token is rejected', () => {
  it('ends the session, and blanks out a refresh token the server echoes', async () => {
    handle = answer(
      400,
      'application/json',
      JSON.stringify({
        error: 'invalid_grant',
        error_description: `refresh token ${tokens.refreshToken} expired`,
      }),
    )
    const { error, cause } = await failedRefresh()
    expect(error).toBeInstanceOf(SessionExpiredError)
    expect((cause as Error).message).toBe(
      `Token endpoint ${tokenEndpoint} answered 400 invalid_grant: refresh token [redacted] expired`,
    )
    expectNoSecretIn(error)
  })
})

describe('when the token endpoint never answers', () => {
  it('is aborted through the refresher signal: the request is dropped and the refresh times out', async () => {
    let dropped: Promise<void> | undefined
    handle = (request) => {
      dropped = new Promise((resolve) => request.socket.once('close', () => resolve()))
    }
    const refresher = createTokenRefresher({
      initialTokens: tokens,
      refreshTimeoutMs: 100,
      refresh: refreshTokenGrant({ tokenEndpoint, clientId: 'client' }),
    })
    await expect(refresher.refresh()).rejects.toBeInstanceOf(RefreshTimeoutError)
    await dropped
    expect(refresher.getTokens()).toEqual(tokens)
  })

  it('rejects with the reason of the signal it was given', async () => {
    handle = () => {}
    const controller = new AbortController()
    const reason = new Error('caller gave up')
    const refresh = refreshTokenGrant({ tokenEndpoint, clientId: 'client' })
    const pending = refresh({ tokens, signal: controller.signal })
    setTimeout(() => controller.abort(reason), 20)
    await expect(pending).rejects.toBe(reason)
  })
})

describe('when a token response carries an ID token from another issuer', () => {
  // As Google does with `openid`: its token endpoint is not at its issuer's origin.
  const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
  const now = Math.floor(Date.now() / 1000)
  const idToken = [
    base64url({ alg: 'RS256', typ: 'JWT' }),
    base64url({
      iss: 'https://accounts.example',
      aud: 'client',
      sub: 'user',
      iat: now,
      exp: now + 600,
    }),
    'signature',
  ].join('.')
  const withIdToken = answer(
    200,
    'application/json',
    JSON.stringify({ access_token: 'fresh-access-token', token_type: 'Bearer', id_token: idToken }),
  )
  const signal = new AbortController().signal

  it('sets it aside when no issuer is known, and returns the access token', async () => {
    handle = withIdToken
    const refresh = refreshTokenGrant({ tokenEndpoint, clientId: 'client' })
    await expect(refresh({ tokens, signal })).resolves.toMatchObject({
      accessToken: 'fresh-access-token',
    })
  })

  it('checks it against the issuer when one is given', async () => {
    handle = withIdToken
    const refresh = refreshTokenGrant({
      tokenEndpoint,
      issuer: 'https://other.example',
      clientId: 'client',
    })
    await expect(refresh({ tokens, signal })).rejects.toThrow(
      `Token endpoint ${tokenEndpoint} answered with an invalid response: unexpected JWT "iss" (issuer) claim value`,
    )
  })
})

describe('when the endpoints come from discovery', () => {
  /** A client credentials grant for the test server as issuer, called without tokens. */
  function discoveringGrant() {
    const refresh = clientCredentialsGrant({
      issuer: server.url,
      clientId: 'client',
      clientSecret: 'secret',
    })
    return () => refresh({ tokens: undefined, signal: new AbortController().signal })
  }

  function metadataHandler(metadata: Record<string, unknown>, failures = 0): Handler {
    let failed = 0
    return (request, response) => {
      if (request.url === '/.well-known/openid-configuration') {
        if (failed++ < failures) return answer(503, 'text/plain', 'starting')(request, response)
        return answer(200, 'application/json', JSON.stringify(metadata))(request, response)
      }
      if (request.url === '/token') return goodAnswer(request, response)
      return answer(404, 'text/plain', 'not found')(request, response)
    }
  }

  it('discovers once for every refresh after a success, and again after a failure', async () => {
    handle = metadataHandler({ issuer: server.url, token_endpoint: tokenEndpoint }, 1)
    const mint = discoveringGrant()
    await expect(mint()).rejects.toThrow(
      `Metadata endpoint ${server.url}/.well-known/openid-configuration answered HTTP 503`,
    )
    for (let i = 0; i < 3; i++) await mint()
    expect(requests.filter((url) => url.startsWith('/.well-known')).length).toBe(2)
    expect(requests.filter((url) => url === '/token').length).toBe(3)
  })

  it('falls back to RFC 8414 metadata when there is no OpenID Connect document', async () => {
    handle = (request, response) => {
      if (request.url === '/.well-known/oauth-authorization-server') {
        return answer(
          200,
          'application/json',
          JSON.stringify({ issuer: server.url, token_endpoint: tokenEndpoint }),
        )(request, response)
      }
      if (request.url === '/token') return goodAnswer(request, response)
      return answer(404, 'text/plain', 'not found')(request, response)
    }
    const mint = discoveringGrant()
    await expect(mint()).resolves.toMatchObject({
      accessToken: 'fresh-access-token',
    })
    expect(requests).toEqual([
      '/.well-known/openid-configuration',
      '/.well-known/oauth-authorization-server',
      '/token',
    ])
  })

  it('refuses metadata that names another issuer', async () => {
    handle = metadataHandler({ issuer: 'https://elsewhere.example', token_endpoint: tokenEndpoint })
    const mint = discoveringGrant()
    await expect(mint()).rejects.toThrow(
      '"response" body "issuer" property does not match the expected value',
    )
  })

  it('refuses a discovered token endpoint on plain http off loopback', async () => {
    handle = metadataHandler({ issuer: server.url, token_endpoint: 'http://as.example/token' })
    const mint = discoveringGrant()
    await expect(mint()).rejects.toThrow(
      `Discovery for issuer ${server.url}/ gave no usable \`token_endpoint\``,
    )
  })
})
