import { createDPoPHandle, createTokenRefresher, type DPoPHandle } from '@tokenflight/core'
import { withTokenRefresh } from '@tokenflight/fetch'
import { describe, expect, it } from 'vitest'
import { clientCredentialsGrant, refreshTokenGrant } from '../src/index.js'
import { approveAs, signInThroughBrowser, tokensOf } from './support/browser-sign-in.js'
import { useSharedClock } from './support/clock.js'
import { clients, useLocalProvider } from './support/oidc-provider.js'

// oidc-provider with DPoP required for two of its clients, and a nonce required in every proof: its token endpoint
// issues DPoP-bound tokens, and its userinfo endpoint stands for the protected resource.
const accessTokenTtlMs = 10_000
const local = useLocalProvider({ accessTokenTtl: accessTokenTtlMs / 1000, dpopNonces: true })
const clock = useSharedClock()

async function newHandle(): Promise<DPoPHandle> {
  const keyPair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, [
    'sign',
    'verify',
  ])
  return createDPoPHandle(keyPair)
}

async function boundKeyOf(accessToken: string): Promise<string | undefined> {
  const { AccessToken, ClientCredentials } = local.provider
  return ((await AccessToken.find(accessToken)) ?? (await ClientCredentials.find(accessToken)))?.jkt
}

describe('DPoP at oidc-provider, nonces required', () => {
  describe('when a backend obtains tokens with client credentials', () => {
    it('sends its token request again with the nonce, and gets a DPoP token bound to its key', async () => {
      const dpop = await newHandle()
      const refresher = createTokenRefresher({
        dpop,
        refresh: clientCredentialsGrant({
          issuer: local.issuer,
          clientId: clients.dpopService,
          clientSecret: clients.dpopServiceSecret,
          scope: 'api:read',
        }),
      })

      const accessToken = await refresher.getAccessToken()

      expect(refresher.getTokens()?.tokenType).toBe('DPoP')
      expect(await boundKeyOf(accessToken)).toBe(await dpop.thumbprint())
      expect(dpop.nonceFor(local.issuer)).toEqual(expect.any(String))
    })
  })

  describe('when a user signs in with a key and calls userinfo through the fetch adapter across two expiries', () => {
    it('binds code, tokens and refresh to the key, refreshes once per expiry, and every call succeeds', async () => {
      const dpop = await newHandle()
      const tokens = tokensOf(
        await signInThroughBrowser(
          { issuer: local.issuer, clientId: clients.dpopCli, scope: 'openid offline_access', dpop },
          approveAs('alice'),
        ),
      )
      clock.start()
      const refresher = createTokenRefresher({
        dpop,
        initialTokens: tokens,
        refresh: refreshTokenGrant({ issuer: local.issuer, clientId: clients.dpopCli }),
      })
      const apiFetch = withTokenRefresh(fetch, refresher, { origins: [local.issuer] })
      const refreshesBefore = local.grants.succeeded.get('refresh_token') ?? 0

      const answers: unknown[] = []
      for (let expiry = 0; expiry <= 2; expiry++) {
        if (expiry > 0) clock.advance(accessTokenTtlMs + 1_000)
        const responses = await Promise.all(
          Array.from({ length: 4 }, () => apiFetch(`${local.issuer}/me`)),
        )
        for (const response of responses) answers.push([response.status, await response.json()])
      }

      expect(tokens.tokenType).toBe('DPoP')
      expect(answers).toEqual(Array(12).fill([200, expect.objectContaining({ sub: 'alice' })]))
      expect((local.grants.succeeded.get('refresh_token') ?? 0) - refreshesBefore).toBe(2)
      const current = refresher.getTokens()
      expect(current?.tokenType).toBe('DPoP')
      expect(await boundKeyOf(current?.accessToken ?? '')).toBe(await dpop.thumbprint())
    })
  })
})
