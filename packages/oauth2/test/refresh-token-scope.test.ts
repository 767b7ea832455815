import {
  createRefresherPool,
  createTokenRefresher,
  memoryTokenStore,
  RefreshFailedError,
  type TokenSet,
  type TokenStore,
} from '@tokenflight/core'
import { describe, expect, it } from 'vitest'
import { AuthorizationServerError, refreshTokenGrant } from '../src/index.js'
import { approveAs, signInThroughBrowser, tokensOf } from './support/browser-sign-in.js'
import { useSharedClock } from './support/clock.js'
import { clients, useLocalProvider } from './support/oidc-provider.js'

// Narrowing the scope at refresh time (RFC 6749, section 6), as Autodesk APS documents it: the new access token
// carries the scope asked for, a subset of what the refresh token was granted.

const accessTokenTtlMs = 10_000
const local = useLocalProvider({ accessTokenTtl: accessTokenTtlMs / 1000 })
const clock = useSharedClock()
const signal = new AbortController().signal

async function signIn(account: string): Promise<TokenSet> {
  const options = {
    issuer: local.issuer,
    clientId: clients.cli,
    scope: 'openid offline_access api:read',
  }
  return tokensOf(await signInThroughBrowser(options, approveAs(account)))
}

async function userinfoStatus(accessToken: string): Promise<number> {
  const response = await fetch(`${local.issuer}/me`, {
    headers: { authorization: `Bearer ${accessToken}` },
  })
  await response.body?.cancel()
  return response.status
}

const refreshes = () => local.grants.succeeded.get('refresh_token') ?? 0
const refusals = () => local.grants.failed.get('refresh_token') ?? 0

describe('when a refresh asks for a narrower scope', () => {
  it('gets an access token with the scope of the call, while the refresh token keeps the whole grant', async () => {
    const refresh = refreshTokenGrant({ issuer: local.issuer, clientId: clients.cli })
    const signedIn = await signIn('alice')

    const openid = await refresh({ tokens: signedIn, signal, scope: ['openid'] })
    const api = await refresh({ tokens: openid, signal, scope: 'api:read' })
    const whole = await refresh({ tokens: api, signal })

    expect(signedIn.scope?.split(' ').sort()).toEqual(['api:read', 'openid'])
    expect(openid.scope).toBe('openid')
    expect(openid.refreshToken).not.toBe(signedIn.refreshToken)
    expect(await userinfoStatus(openid.accessToken)).toBe(200)
    expect(api.scope).toBe('api:read')
    // Without openid, the userinfo endpoint refuses the narrowed token: insufficient scope.
    expect(await userinfoStatus(api.accessToken)).toBe(403)
    expect(whole.scope?.split(' ').sort()).toEqual(['api:read', 'openid'])
  })

  it('keeps the session when the provider refuses a scope that was never granted', async () => {
    const signedIn = await signIn('alice')
    const refreshWith = refreshTokenGrant({ issuer: local.issuer, clientId: clients.cli })
    const refresher = createTokenRefresher({
      initialTokens: signedIn,
      refresh: (context) => refreshWith({ ...context, scope: 'openid api:write' }),
    })

    const error = await refresher.refresh().catch((caught: unknown) => caught)

    expect(error).toBeInstanceOf(RefreshFailedError)
    expect((error as Error).cause).toBeInstanceOf(AuthorizationServerError)
    expect((error as Error).cause).toMatchObject({ error: 'invalid_scope' })
    expect(refresher.getTokens()).toEqual(signedIn)
  })

  it('rejects a blank scope given with the call with a TypeError, before any request', async () => {
    const refresh = refreshTokenGrant({
      tokenEndpoint: 'https://login.example.com/token',
      clientId: 'app',
      fetch: () => Promise.reject(new Error('sent')),
    })
    await expect(
      refresh({ tokens: { accessToken: 'a', refreshToken: 'r' }, signal, scope: [' '] }),
    ).rejects.toThrow(
      new TypeError('Expected `scope` to be a non-empty string or a non-empty array of them'),
    )
  })
})

describe('when a refresher pool keeps one session per user and scope', () => {
  type Key = { user: string; scope: string }

  it('refreshes each session once per expiry with its own scope and its own refresh token', async () => {
    // Each session holds its own refresh token: the provider rotates them, so two sessions started from one would
    // spend it twice. Here each comes from its own sign-in.
    const keys: Key[] = [
      { user: 'alice', scope: 'openid' },
      { user: 'alice', scope: 'api:read openid' },
      { user: 'bob', scope: 'openid' },
    ]
    const signIns = new Map<string, TokenSet>()
    for (const key of keys) signIns.set(JSON.stringify(key), await signIn(key.user))
    const stores = new Map<string, TokenStore>()
    const refreshWith = refreshTokenGrant({ issuer: local.issuer, clientId: clients.cli })
    clock.start()
    const sessions = createRefresherPool<Key>({
      refresh: ({ key, ...context }) => refreshWith({ ...context, scope: key.scope }),
      initialTokens: (key) => signIns.get(JSON.stringify(key)),
      store: (key) => {
        const name = JSON.stringify(key)
        if (!stores.has(name)) stores.set(name, memoryTokenStore())
        return stores.get(name) as TokenStore
      },
    })
    const refreshesBefore = refreshes()
    const refusalsBefore = refusals()

    for (let expiry = 1; expiry <= 2; expiry++) {
      clock.advance(accessTokenTtlMs + 1_000)
      const statuses = await Promise.all(
        keys.flatMap((key) =>
          Array.from({ length: 4 }, async () =>
            userinfoStatus(await sessions.get({ ...key }).getAccessToken()),
          ),
        ),
      )
      expect(statuses).toEqual(Array(statuses.length).fill(200))
      expect(refreshes() - refreshesBefore).toBe(keys.length * expiry)
    }

    expect(refusals() - refusalsBefore).toBe(0)
    for (const key of keys) {
      const scope = sessions.get(key).getTokens()?.scope
      expect(scope?.split(' ').sort().join(' '), key.scope).toBe(key.scope)
    }
  })
})
