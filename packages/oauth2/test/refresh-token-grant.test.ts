import {
  createTokenRefresher,
  memoryTokenStore,
  RefreshFailedError,
  SessionExpiredError,
  type TokenRefreshEvent,
  type TokenSet,
} from '@tokenflight/core'
import { beforeEach, describe, expect, it } from 'vitest'
import { AuthorizationServerError, refreshTokenGrant } from '../src/index.js'
import { approveAs, signInThroughBrowser, tokensOf } from './support/browser-sign-in.js'
import { useSharedClock } from './support/clock.js'
import { useMockServer } from './support/mock-server.js'
import { clients, useLocalProvider } from './support/oidc-provider.js'

const accessTokenTtlMs = 10_000
const local = useLocalProvider({ accessTokenTtl: accessTokenTtlMs / 1000 })
const mock = useMockServer()
const clock = useSharedClock()

async function signIn(clientId: string = clients.cli, clientSecret?: string): Promise<TokenSet> {
  const options = {
    issuer: local.issuer,
    clientId,
    scope: 'openid offline_access',
    ...(clientSecret === undefined ? {} : { clientSecret }),
  }
  return tokensOf(await signInThroughBrowser(options, approveAs('alice')))
}

async function userinfoStatus(accessToken: string): Promise<number> {
  const response = await fetch(`${local.issuer}/me`, {
    headers: { authorization: `Bearer ${accessToken}` },
  })
  await response.body?.cancel()
  return response.status
}

function refreshCount(): number {
  return local.grants.succeeded.get('refresh_token') ?? 0
}

describe('when concurrent callers need a token across several expiries at oidc-provider', () => {
  let events: TokenRefreshEvent[]
  beforeEach(() => {
    events = []
  })

  it('refreshes once per expiry, rotates the refresh token each time, and fails no caller', async () => {
    const tokens = await signIn()
    clock.start()
    const store = memoryTokenStore()
    const refresher = createTokenRefresher({
      initialTokens: tokens,
      store,
      refresh: refreshTokenGrant({ issuer: local.issuer, clientId: clients.cli }),
      onEvent: (event) => events.push(event),
    })
    const refreshesBefore = refreshCount()
    const failuresBefore = local.grants.failed.get('refresh_token') ?? 0
    let previous = tokens
    for (let expiry = 1; expiry <= 3; expiry++) {
      clock.advance(accessTokenTtlMs + 1_000)
      // The provider agrees that the old token has expired.
      expect(await userinfoStatus(previous.accessToken)).toBe(401)
      const statuses = await Promise.all(
        Array.from({ length: 8 }, async () => userinfoStatus(await refresher.getAccessToken())),
      )
      expect(statuses).toEqual(Array(8).fill(200))
      expect(refreshCount() - refreshesBefore).toBe(expiry)
      const current = refresher.getTokens()
      expect(current?.accessToken).not.toBe(previous.accessToken)
      expect(current?.refreshToken).not.toBe(previous.refreshToken)
      // Persisted before any caller got the new token.
      expect(await store.get()).toEqual(current)
      previous = current as TokenSet
    }
    expect(local.grants.failed.get('refresh_token') ?? 0).toBe(failuresBefore)
    const succeeded = events.filter((event) => event.type === 'refresh-succeeded')
    expect(succeeded).toHaveLength(3)
    expect(
      succeeded.every((event) => event.refreshTokenRotated && event.reason === 'expired'),
    ).toBe(true)
    expect(events.filter((event) => event.type === 'refresh-failed')).toEqual([])
  })

  it('authenticates a confidential client with client_secret_basic', async () => {
    const tokens = await signIn(clients.web, clients.webSecret)
    const refresh = refreshTokenGrant({
      issuer: local.issuer,
      clientId: clients.web,
      clientSecret: clients.webSecret,
    })
    const next = await refresh({ tokens, signal: new AbortController().signal })
    expect(await userinfoStatus(next.accessToken)).toBe(200)
  })
})

describe('when the refresh token has been revoked', () => {
  it('ends the session with SessionExpiredError caused by invalid_grant, once, and clears the tokens', async () => {
    const tokens = await signIn()
    const revoked = await fetch(`${local.issuer}/token/revocation`, {
      method: 'POST',
      body: new URLSearchParams({
        token: tokens.refreshToken ?? '',
        token_type_hint: 'refresh_token',
        client_id: clients.cli,
      }),
    })
    expect(revoked.status).toBe(200)
    const expired: SessionExpiredError[] = []
    const refresher = createTokenRefresher({
      initialTokens: tokens,
      refresh: refreshTokenGrant({ issuer: local.issuer, clientId: clients.cli }),
      onSessionExpired: (error) => expired.push(error),
    })
    const error = await refresher.refresh().catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(SessionExpiredError)
    const cause = (error as SessionExpiredError).cause
    expect(cause).toBeInstanceOf(AuthorizationServerError)
    expect(cause).toMatchObject({ error: 'invalid_grant', status: 400 })
    expect(refresher.getTokens()).toBeUndefined()
    await expect(refresher.getAccessToken()).rejects.toBe(error)
    expect(expired).toEqual([error])
    for (const text of [
      String(error),
      JSON.stringify(error),
      String(cause),
      JSON.stringify(cause),
    ]) {
      expect(text).not.toContain(tokens.refreshToken)
      expect(text).not.toContain(tokens.accessToken)
    }
  })
})

describe('when a rotated refresh token is used again', () => {
  it('is refused by the provider, and the grant reports the session as expired', async () => {
    const tokens = await signIn()
    const refresh = refreshTokenGrant({ issuer: local.issuer, clientId: clients.cli })
    const signal = new AbortController().signal
    await refresh({ tokens, signal })
    await expect(refresh({ tokens, signal })).rejects.toBeInstanceOf(SessionExpiredError)
  })
})

describe('when there is no refresh token', () => {
  it('throws SessionExpiredError without sending a request', async () => {
    const refreshesBefore = refreshCount() + (local.grants.failed.get('refresh_token') ?? 0)
    const refresh = refreshTokenGrant({ issuer: local.issuer, clientId: clients.cli })
    const signal = new AbortController().signal
    await expect(refresh({ tokens: undefined, signal })).rejects.toBeInstanceOf(SessionExpiredError)
    await expect(refresh({ tokens: { accessToken: 'a' }, signal })).rejects.toThrow(
      'Session expired: there is no refresh token to refresh with',
    )
    expect(refreshCount() + (local.grants.failed.get('refresh_token') ?? 0)).toBe(refreshesBefore)
  })
})

describe('when the client secret is wrong', () => {
  it('fails the refresh as transient and keeps the tokens', async () => {
    const tokens = await signIn(clients.web, clients.webSecret)
    const refresher = createTokenRefresher({
      initialTokens: tokens,
      refresh: refreshTokenGrant({
        issuer: local.issuer,
        clientId: clients.web,
        clientSecret: 'not-the-secret',
      }),
    })
    const error = await refresher.refresh().catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(RefreshFailedError)
    expect((error as RefreshFailedError).cause).toMatchObject({
      name: 'AuthorizationServerError',
      error: 'invalid_client',
      status: 401,
    })
    expect(refresher.getTokens()).toEqual(tokens)
    expect(String((error as RefreshFailedError).cause)).not.toContain('not-the-secret')
  })
})

describe('when refreshing at oauth2-mock-server', () => {
  const tokens = { accessToken: 'old-access', refreshToken: 'old-refresh' }
  const signal = new AbortController().signal

  it('discovers the token endpoint once and checks the ID token it returns against the issuer', async () => {
    const requested: string[] = []
    const refresh = refreshTokenGrant({
      issuer: mock.issuer,
      clientId: 'mock-client',
      fetch: (input, init) => {
        requested.push(String(input))
        return fetch(input, init)
      },
    })
    const first = await refresh({ tokens, signal })
    const second = await refresh({ tokens: first, signal })
    expect(second.refreshToken).not.toBe(first.refreshToken)
    expect(requested).toEqual([
      `${mock.issuer}/.well-known/openid-configuration`,
      mock.tokenEndpoint,
      mock.tokenEndpoint,
    ])
  })

  it('sends the scope and extra parameters, and client_secret_post credentials in the body', async () => {
    const refresh = refreshTokenGrant({
      tokenEndpoint: mock.tokenEndpoint,
      clientId: 'mock-client',
      clientSecret: 'mock-secret',
      clientAuthentication: 'client_secret_post',
      scope: 'read write',
      extraParameters: { resource: 'https://api.example' },
    })
    await refresh({ tokens, signal })
    expect(mock.tokenRequests.at(-1)).toEqual({
      authorization: undefined,
      body: {
        grant_type: 'refresh_token',
        refresh_token: 'old-refresh',
        scope: 'read write',
        resource: 'https://api.example',
        client_id: 'mock-client',
        client_secret: 'mock-secret',
      },
    })
  })

  it('sends client_secret_basic credentials in the Authorization header', async () => {
    const refresh = refreshTokenGrant({
      tokenEndpoint: mock.tokenEndpoint,
      clientId: 'mock client',
      clientSecret: 'secret:with/odd chars',
    })
    await refresh({ tokens, signal })
    const { authorization, body } = mock.tokenRequests.at(-1) ?? {}
    expect(body).toEqual({ grant_type: 'refresh_token', refresh_token: 'old-refresh' })
    // RFC 6749, section 2.3.1: each part form-encoded before Base64.
    expect(authorization).toBe(`Basic ${btoa('mock+client:secret%3Awith%2Fodd+chars')}`)
  })

  it('turns an invalid_grant answer into SessionExpiredError', async () => {
    mock.server.service.once(
      'beforeResponse',
      (response: { statusCode: number; body: unknown }) => {
        response.statusCode = 400
        response.body = {
          error: 'invalid_grant',
          error_description: 'token old-refresh is revoked',
        }
      },
    )
    const refresh = refreshTokenGrant({
      tokenEndpoint: mock.tokenEndpoint,
      clientId: 'mock-client',
    })
    const error = await refresh({ tokens, signal }).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(SessionExpiredError)
    const cause = (error as SessionExpiredError).cause as AuthorizationServerError
    expect(cause.errorDescription).toBe('token [redacted] is revoked')
    expect(cause.message).toBe(
      `Token endpoint ${mock.tokenEndpoint} answered 400 invalid_grant: token [redacted] is revoked`,
    )
  })
})
