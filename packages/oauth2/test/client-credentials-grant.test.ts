import { createTokenRefresher, RefreshFailedError, type TokenRefreshEvent } from '@tokenflight/core'
import { describe, expect, it } from 'vitest'
import { clientCredentialsGrant } from '../src/index.js'
import { useSharedClock } from './support/clock.js'
import { useMockServer } from './support/mock-server.js'
import { clients, useLocalProvider } from './support/oidc-provider.js'

const accessTokenTtlMs = 10_000
const local = useLocalProvider({ accessTokenTtl: accessTokenTtlMs / 1000 })
const mock = useMockServer()
const clock = useSharedClock()

const signal = new AbortController().signal

async function isValidAtProvider(accessToken: string): Promise<boolean> {
  const token = await local.provider.ClientCredentials.find(accessToken)
  return token !== undefined && !token.isExpired
}

describe('when a backend needs tokens across several expiries at oidc-provider', () => {
  it('mints one token per expiry for concurrent callers, valid at the provider, with the scope', async () => {
    clock.start()
    const events: TokenRefreshEvent[] = []
    const refresher = createTokenRefresher({
      refresh: clientCredentialsGrant({
        issuer: local.issuer,
        clientId: clients.service,
        clientSecret: clients.serviceSecret,
        scope: 'api:read',
      }),
      onEvent: (event) => events.push(event),
    })
    const minted = () => local.grants.succeeded.get('client_credentials') ?? 0
    const before = minted()
    const seen = new Set<string>()
    for (let expiry = 1; expiry <= 3; expiry++) {
      const tokens = await Promise.all(Array.from({ length: 8 }, () => refresher.getAccessToken()))
      expect(new Set(tokens).size).toBe(1)
      expect(await isValidAtProvider(tokens[0] ?? '')).toBe(true)
      seen.add(tokens[0] ?? '')
      expect(minted() - before).toBe(expiry)
      clock.advance(accessTokenTtlMs + 1_000)
      expect(await isValidAtProvider(tokens[0] ?? '')).toBe(false)
    }
    expect(seen.size).toBe(3)
    expect(refresher.getTokens()).toMatchObject({ scope: 'api:read', tokenType: 'Bearer' })
    expect(refresher.getTokens()?.refreshToken).toBeUndefined()
    expect(events.filter((event) => event.type === 'refresh-failed')).toEqual([])
    expect(local.grants.failed.get('client_credentials') ?? 0).toBe(0)
  })
})

describe('when the client authenticates with its secret', () => {
  it('gets a token with client_secret_post', async () => {
    const refresh = clientCredentialsGrant({
      issuer: local.issuer,
      clientId: clients.postService,
      clientSecret: clients.postServiceSecret,
      clientAuthentication: 'client_secret_post',
    })
    expect(
      await isValidAtProvider((await refresh({ tokens: undefined, signal })).accessToken),
    ).toBe(true)
  })

  it('is refused with invalid_client for a wrong secret, as a transient failure', async () => {
    const refresher = createTokenRefresher({
      refresh: clientCredentialsGrant({
        issuer: local.issuer,
        clientId: clients.service,
        clientSecret: 'not-the-secret',
      }),
    })
    const error = await refresher.getAccessToken().catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(RefreshFailedError)
    expect((error as Error).cause).toMatchObject({ error: 'invalid_client', status: 401 })
    expect(String((error as Error).cause)).not.toContain('not-the-secret')
  })

  it('is refused with invalid_scope for a scope it was not given', async () => {
    const refresh = clientCredentialsGrant({
      issuer: local.issuer,
      clientId: clients.postService,
      clientSecret: clients.postServiceSecret,
      clientAuthentication: 'client_secret_post',
      scope: 'api:write',
    })
    await expect(refresh({ tokens: undefined, signal })).rejects.toMatchObject({
      name: 'AuthorizationServerError',
      error: 'invalid_scope',
    })
  })
})

describe('when minting at oauth2-mock-server', () => {
  it('sends extra parameters such as an audience next to the scope', async () => {
    const refresh = clientCredentialsGrant({
      tokenEndpoint: mock.tokenEndpoint,
      clientId: 'mock-service',
      clientSecret: 'mock-secret',
      scope: 'reports',
      extraParameters: new URLSearchParams({ audience: 'https://reports.example' }),
    })
    const tokens = await refresh({ tokens: undefined, signal })
    expect(tokens.scope).toBe('reports')
    expect(mock.tokenRequests.at(-1)?.body).toEqual({
      grant_type: 'client_credentials',
      scope: 'reports',
      audience: 'https://reports.example',
    })
    // oauth4webapi form-encodes both parts (RFC 6749, section 2.3.1), `-` included.
    expect(mock.tokenRequests.at(-1)?.authorization).toBe(
      `Basic ${btoa('mock%2Dservice:mock%2Dsecret')}`,
    )
  })
})
