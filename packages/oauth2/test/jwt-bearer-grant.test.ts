import { createTokenRefresher, SessionExpiredError } from '@tokenflight/core'
import { exportJWK, generateKeyPair, importPKCS8 } from 'jose'
import { describe, expect, it } from 'vitest'
import { jwtBearerGrant } from '../src/index.js'
import { useSharedClock } from './support/clock.js'
import { clients, useLocalProvider } from './support/oidc-provider.js'

// Neither oidc-provider nor oauth2-mock-server implements RFC 7523 out of the box. oidc-provider takes extension
// grants through its registerGrantType API: the test provider registers one that verifies the assertion with jose
// (signature, iss, aud = token endpoint, exp, iat, jti replay) and issues oidc-provider's own access tokens.

const accessTokenTtlMs = 10_000
const local = useLocalProvider({ accessTokenTtl: accessTokenTtlMs / 1000 })
const clock = useSharedClock()

const signal = new AbortController().signal

async function userinfo(accessToken: string): Promise<{ status: number; sub?: string }> {
  const response = await fetch(`${local.issuer}/me`, {
    headers: { authorization: `Bearer ${accessToken}` },
  })
  return response.ok ? { status: 200, ...(await response.json()) } : { status: response.status }
}

describe('when a service account signs an HS256 assertion', () => {
  it('gets an access token for the assertion subject, with the claims RFC 7523 asks for', async () => {
    const refresh = jwtBearerGrant({
      issuer: local.issuer,
      clientId: clients.hmacSigner,
      assertion: { algorithm: 'HS256', key: clients.hmacSignerSecret, subject: 'report-bot' },
    })
    const before = Math.floor(Date.now() / 1000)
    const tokens = await refresh({ tokens: undefined, signal })
    expect(await userinfo(tokens.accessToken)).toEqual({ status: 200, sub: 'report-bot' })
    const { header, payload } = local.acceptedAssertions.at(-1) ?? {}
    expect(header).toEqual({ alg: 'HS256', typ: 'JWT' })
    expect(payload).toMatchObject({
      iss: clients.hmacSigner,
      sub: 'report-bot',
      aud: `${local.issuer}/token`,
      jti: expect.stringMatching(/^[\w-]{36}$/),
    })
    expect(payload?.iat).toBeGreaterThanOrEqual(before)
    expect(Number(payload?.exp) - Number(payload?.iat)).toBe(3600)
  })

  it('signs a fresh assertion for each expiry, one for concurrent callers', async () => {
    clock.start()
    const refresher = createTokenRefresher({
      refresh: jwtBearerGrant({
        issuer: local.issuer,
        clientId: clients.hmacSigner,
        assertion: { algorithm: 'HS256', key: new TextEncoder().encode(clients.hmacSignerSecret) },
      }),
    })
    const assertionsBefore = local.acceptedAssertions.length
    for (let expiry = 1; expiry <= 3; expiry++) {
      const tokens = await Promise.all(Array.from({ length: 6 }, () => refresher.getAccessToken()))
      expect(new Set(tokens).size).toBe(1)
      expect((await userinfo(tokens[0] ?? '')).status).toBe(200)
      expect(local.acceptedAssertions.length - assertionsBefore).toBe(expiry)
      clock.advance(accessTokenTtlMs + 1_000)
    }
    const jtis = local.acceptedAssertions.slice(assertionsBefore).map(({ payload }) => payload.jti)
    expect(new Set(jtis).size).toBe(3)
  })

  it('ends the session with SessionExpiredError when the provider rejects the assertion', async () => {
    const refresher = createTokenRefresher({
      refresh: jwtBearerGrant({
        issuer: local.issuer,
        clientId: clients.hmacSigner,
        assertion: { algorithm: 'HS256', key: 'a-secret-the-provider-does-not-know-at-all' },
      }),
    })
    const error = await refresher.getAccessToken().catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(SessionExpiredError)
    expect((error as Error).cause).toMatchObject({ error: 'invalid_grant', status: 400 })
    expect(String((error as Error).cause)).not.toContain('a-secret-the-provider-does-not-know')
  })
})

describe('when a service account signs an RS256 assertion with a key id', () => {
  it('is accepted with a PKCS #8 PEM key, and the header names the key', async () => {
    const refresh = jwtBearerGrant({
      tokenEndpoint: `${local.issuer}/token`,
      clientId: clients.rsaSigner,
      assertion: { algorithm: 'RS256', key: local.rsaSignerPrivateKeyPem, keyId: 'signer-key-1' },
    })
    const tokens = await refresh({ tokens: undefined, signal })
    expect(await userinfo(tokens.accessToken)).toEqual({ status: 200, sub: clients.rsaSigner })
    expect(local.acceptedAssertions.at(-1)?.header).toEqual({
      alg: 'RS256',
      typ: 'JWT',
      kid: 'signer-key-1',
    })
  })

  it('is accepted with a private JWK, whose kid it uses', async () => {
    const key = await importPKCS8(local.rsaSignerPrivateKeyPem, 'RS256', { extractable: true })
    const jwk = { ...(await exportJWK(key)), kid: 'signer-key-1' }
    const refresh = jwtBearerGrant({
      issuer: local.issuer,
      clientId: clients.rsaSigner,
      assertion: { algorithm: 'RS256', key: jwk },
    })
    await refresh({ tokens: undefined, signal })
    expect(local.acceptedAssertions.at(-1)?.header).toMatchObject({ kid: 'signer-key-1' })
  })

  it('is accepted with a CryptoKey', async () => {
    const key = await importPKCS8(local.rsaSignerPrivateKeyPem, 'RS256')
    const refresh = jwtBearerGrant({
      issuer: local.issuer,
      clientId: clients.rsaSigner,
      assertion: { algorithm: 'RS256', key, keyId: 'signer-key-1' },
    })
    expect((await refresh({ tokens: undefined, signal })).accessToken).toEqual(expect.any(String))
  })

  it('is rejected as invalid_grant when signed with another key', async () => {
    const other = await generateKeyPair('RS256')
    const refresh = jwtBearerGrant({
      issuer: local.issuer,
      clientId: clients.rsaSigner,
      assertion: { algorithm: 'RS256', key: other.privateKey, keyId: 'signer-key-1' },
    })
    await expect(refresh({ tokens: undefined, signal })).rejects.toBeInstanceOf(SessionExpiredError)
  })
})

describe('when the key cannot be used', () => {
  it('fails the refresh with a TypeError that names the option, not the key', async () => {
    const refresh = jwtBearerGrant({
      issuer: local.issuer,
      clientId: clients.rsaSigner,
      assertion: {
        algorithm: 'RS256',
        key: '-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----',
      },
    })
    const error = await refresh({ tokens: undefined, signal }).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(TypeError)
    expect((error as Error).message).toBe(
      'Expected `assertion.key` to be an RS256 private key (PKCS #8 PEM or private JWK)',
    )
  })
})
