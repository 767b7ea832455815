import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import {
  createAuthorizationPolicy,
  fetchResponseAccess,
  type RequestCredentials,
} from '../src/adapter/index.js'
import {
  createDPoPHandle,
  createTokenRefresher,
  parseTokenResponse,
  type TokenRefresherOptions,
} from '../src/index.js'

const signing: KeyUsage[] = ['sign', 'verify']

function es256KeyPair(): Promise<CryptoKeyPair> {
  return crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, signing)
}

function decodePart(part: string | undefined): Record<string, unknown> {
  return JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8'))
}

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))
  return Buffer.from(digest).toString('base64url')
}

describe('createDPoPHandle', () => {
  describe('when a proof is signed for a request', () => {
    it('covers its method, its URL without query and fragment, the token hash, a fresh jti and iat, and verifies with the public key', async () => {
      const keyPair = await es256KeyPair()
      const dpop = createDPoPHandle(keyPair)

      const proof = await dpop.proof({
        method: 'post',
        url: 'https://api.example.test/things/1?q=1#part',
        accessToken: 'access-token',
      })
      const other = await dpop.proof({ method: 'PATCH', url: new URL('https://api.example.test/') })

      const [header, payload, signature] = proof.split('.')
      expect(decodePart(header)).toMatchObject({ typ: 'dpop+jwt', alg: 'ES256' })
      expect(decodePart(header).jwk).not.toHaveProperty('d')
      const claims = decodePart(payload)
      expect(claims).toMatchObject({
        htm: 'POST',
        htu: 'https://api.example.test/things/1',
        ath: await sha256('access-token'),
      })
      expect(claims).not.toHaveProperty('nonce')
      expect(Math.abs((claims.iat as number) - Date.now() / 1000)).toBeLessThan(5)
      const otherClaims = decodePart(other.split('.')[1])
      expect(otherClaims).toMatchObject({ htm: 'PATCH' })
      expect(otherClaims).not.toHaveProperty('ath')
      expect(otherClaims.jti).not.toBe(claims.jti)
      const verified = await crypto.subtle.verify(
        { name: 'ECDSA', hash: 'SHA-256' },
        keyPair.publicKey,
        Buffer.from(signature ?? '', 'base64url'),
        new TextEncoder().encode(`${header}.${payload}`),
      )
      expect(verified).toBe(true)
    })
  })

  describe('when servers sent nonces', () => {
    it('puts the latest nonce of the URL’s origin in the proof, and none for another origin', async () => {
      const dpop = createDPoPHandle(await es256KeyPair())
      dpop.learnNonce('https://api.example.test/a', 'first')
      dpop.learnNonce('https://api.example.test/b', 'second')
      dpop.learnNonce('https://api.example.test/c', null)

      const here = decodePart(
        (await dpop.proof({ method: 'GET', url: 'https://api.example.test/x' })).split('.')[1],
      )
      const elsewhere = decodePart(
        (await dpop.proof({ method: 'GET', url: 'https://auth.example.test/x' })).split('.')[1],
      )

      expect(here.nonce).toBe('second')
      expect(dpop.nonceFor('https://api.example.test/')).toBe('second')
      expect(elsewhere).not.toHaveProperty('nonce')
    })
  })

  describe('when the key pair is of another kind', () => {
    it.each([
      [
        'an RSA-OAEP key pair',
        () =>
          crypto.subtle.generateKey(
            {
              name: 'RSA-OAEP',
              modulusLength: 2048,
              publicExponent: new Uint8Array([1, 0, 1]),
              hash: 'SHA-256',
            },
            false,
            ['encrypt', 'decrypt'],
          ),
        /`keyPair`.*got RSA-OAEP/,
      ],
      [
        'an HMAC key',
        () => crypto.subtle.generateKey({ name: 'HMAC', hash: 'SHA-256' }, false, signing),
        /`keyPair`.*got a single secret key/,
      ],
      [
        'an ECDSA P-384 key pair',
        () => crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-384' }, false, signing),
        /`keyPair`.*got ECDSA \(P-384\)/,
      ],
      ['a string', async () => 'es256', /`keyPair`.*got a string/],
    ])('throws a TypeError naming `keyPair` for %s', async (_, make, message) => {
      const keyPair = (await make()) as CryptoKeyPair

      expect(() => createDPoPHandle(keyPair)).toThrow(TypeError)
      expect(() => createDPoPHandle(keyPair)).toThrow(message)
    })
  })

  describe('when the handle is logged', () => {
    it('shows its algorithm and nothing of its keys or nonces', async () => {
      const dpop = createDPoPHandle(await es256KeyPair())
      dpop.learnNonce('https://api.example.test/', 'server-nonce')

      expect(inspect(dpop)).toBe("DPoPHandle { algorithm: 'ES256' }")
      expect(JSON.stringify(dpop)).toBe('{"algorithm":"ES256"}')
    })
  })
})

describe('the refresher with a `dpop` handle', () => {
  it('hands the handle to the refresh function and to adapters', async () => {
    const dpop = createDPoPHandle(await es256KeyPair())
    const received: unknown[] = []
    const refresher = createTokenRefresher({
      dpop,
      refresh: async (context) => {
        received.push(context.dpop)
        return { accessToken: 'minted', tokenType: 'DPoP' }
      },
    })

    await refresher.getAccessToken()

    expect(received).toEqual([dpop])
    expect(refresher.dpop).toBe(dpop)
  })

  it('throws a TypeError naming `dpop` when it is not a handle', () => {
    const options = { refresh: async () => ({ accessToken: 'a' }), dpop: {} }

    expect(() => createTokenRefresher(options as unknown as TokenRefresherOptions)).toThrow(
      'Expected `dpop` to be a DPoP handle from `createDPoPHandle`',
    )
  })
})

describe('parseTokenResponse with a DPoP token type', () => {
  it('writes the type as DPoP, whatever case the server used', () => {
    expect(parseTokenResponse({ access_token: 'a', token_type: 'dpop' }).tokenType).toBe('DPoP')
  })
})

describe('the replay policy with a `dpop` handle', () => {
  async function dpopPolicy() {
    const refresher = createTokenRefresher({
      dpop: createDPoPHandle(await es256KeyPair()),
      refresh: () => Promise.reject(new Error('Not expected to refresh')),
      initialTokens: { accessToken: 'dpop-token', tokenType: 'DPoP' },
    })
    return createAuthorizationPolicy(refresher, undefined, fetchResponseAccess)
  }

  it('signs a new proof for each request, and never hands out the same credentials twice', async () => {
    const policy = await dpopPolicy()
    const request = { method: 'GET', url: 'https://api.example.test/me' }

    const first = await policy.authorize({ request })
    const second = await policy.authorize({ request })

    expect(policy.usesDPoP).toBe(true)
    expect(first.headers.authorization).toBe('DPoP dpop-token')
    expect(first.headers.dpop).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/)
    expect(second.headers.dpop).not.toBe(first.headers.dpop)
    expect(JSON.stringify(first)).not.toContain('dpop-token')
    expect(inspect(first)).not.toContain('dpop-token')
  })

  it('rejects with a TypeError naming `request` when an adapter does not say which request it signs for', async () => {
    const policy = await dpopPolicy()

    await expect(policy.authorize()).rejects.toThrow(/`request`/)
  })

  it('learns the nonce of every response, and asks for a new proof once for use_dpop_nonce', async () => {
    const policy = await dpopPolicy()
    const request = { method: 'GET', url: 'https://api.example.test/me' }
    const sent = await policy.authorize({ request })
    const challenge = new Response(null, {
      status: 401,
      headers: { 'WWW-Authenticate': 'DPoP error="use_dpop_nonce"', 'DPoP-Nonce': 'n-1' },
    })
    const replays: RequestCredentials[] = []

    expect(policy.isUnauthorized(challenge)).toBe(true)
    await policy.replayAfterUnauthorized(sent, challenge, async (credentials) => {
      replays.push(credentials)
    })
    const again = await policy.replayAfterUnauthorized(
      replays[0] as RequestCredentials,
      challenge,
      async () => 'replayed twice',
    )

    expect(replays).toHaveLength(1)
    expect(replays[0]?.isNonceRetry).toBe(true)
    expect(replays[0]?.isReplay).toBe(false)
    expect(decodePart(replays[0]?.headers.dpop?.split('.')[1]).nonce).toBe('n-1')
    expect(again).toBeUndefined()
  })

  it('throws a TypeError naming `access.header` when the client gives no way to read headers', async () => {
    const refresher = createTokenRefresher({
      dpop: createDPoPHandle(await es256KeyPair()),
      refresh: () => Promise.reject(new Error('Not expected to refresh')),
    })

    expect(() =>
      createAuthorizationPolicy(refresher, undefined, {
        wwwAuthenticate: (response: Response) => response.headers.get('www-authenticate'),
      }),
    ).toThrow(/`access\.header`/)
  })
})
