import { createDPoPHandle, type DPoPHandle, TokenEndpointError } from '@tokenflight/core'
import { calculateJwkThumbprint, exportJWK, SignJWT } from 'jose'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createOAuthSimulator, type OAuthSimulator } from '../src/index.js'

const server = setupServer()
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
afterEach(() => server.resetHandlers())
afterAll(() => server.close())

function es256KeyPair(): Promise<CryptoKeyPair> {
  return crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, [
    'sign',
    'verify',
  ])
}

interface Client {
  simulator: OAuthSimulator
  dpop: DPoPHandle
  accessToken: string
  /** Calls the API with the client's token and the proof given, or one signed for the call. */
  call(options?: { method?: string; proof?: string; path?: string }): Promise<Response>
}

async function signedIn(options: Parameters<typeof createOAuthSimulator>[0] = {}): Promise<Client> {
  const simulator = createOAuthSimulator({ dpop: true, ...options })
  server.use(...simulator.handlers)
  const dpop = createDPoPHandle(await es256KeyPair())
  const { accessToken } = simulator.signIn({ jkt: await dpop.thumbprint() })
  return {
    simulator,
    dpop,
    accessToken,
    async call({ method = 'GET', proof, path = '/me' } = {}) {
      const url = `${simulator.apiUrl}${path}`
      const response = await fetch(url, {
        method,
        headers: {
          Authorization: `DPoP ${accessToken}`,
          DPoP: proof ?? (await dpop.proof({ method, url, accessToken })),
        },
      })
      dpop.learnNonce(url, response.headers.get('dpop-nonce'))
      return response
    },
  }
}

describe('DPoP mode', () => {
  describe('when a proof lacks the nonce the API wants', () => {
    it('answers 401 use_dpop_nonce with the nonce, and accepts the next proof that carries it', async () => {
      const client = await signedIn()

      const first = await client.call()
      const second = await client.call()

      expect(first.status).toBe(401)
      expect(first.headers.get('www-authenticate')).toMatch(/^DPoP error="use_dpop_nonce"/)
      expect(first.headers.get('dpop-nonce')).toBe(client.simulator.dpop?.apiNonce)
      expect(second.status).toBe(200)
      expect(client.simulator.stats.nonceChallenges).toEqual({ token: 0, api: 1 })
    })
  })

  describe('when a proof does not match its request', () => {
    it.each([
      [
        'signed for another method',
        /another method/,
        async (client: Client) =>
          client.call({
            method: 'DELETE',
            proof: await client.dpop.proof({
              method: 'GET',
              url: `${client.simulator.apiUrl}/me`,
              accessToken: client.accessToken,
            }),
          }),
      ],
      [
        'signed for another URL',
        /another URL/,
        async (client: Client) =>
          client.call({
            proof: await client.dpop.proof({
              method: 'GET',
              url: `${client.simulator.apiUrl}/other`,
              accessToken: client.accessToken,
            }),
          }),
      ],
      [
        'signed for another access token',
        /another access token/,
        async (client: Client) =>
          client.call({
            proof: await client.dpop.proof({
              method: 'GET',
              url: `${client.simulator.apiUrl}/me`,
              accessToken: 'another-token',
            }),
          }),
      ],
      [
        'signed by another key than the token is bound to',
        /another key/,
        async (client: Client) => {
          const other = createDPoPHandle(await es256KeyPair())
          other.learnNonce(client.simulator.apiUrl, client.simulator.dpop?.apiNonce)
          return client.call({
            proof: await other.proof({
              method: 'GET',
              url: `${client.simulator.apiUrl}/me`,
              accessToken: client.accessToken,
            }),
          })
        },
      ],
      [
        'sent a second time',
        /used before/,
        async (client: Client) => {
          const proof = await client.dpop.proof({
            method: 'GET',
            url: `${client.simulator.apiUrl}/me`,
            accessToken: client.accessToken,
          })
          expect((await client.call({ proof })).status).toBe(200)
          return client.call({ proof })
        },
      ],
      [
        'issued ten minutes ago',
        /not issued now/,
        async (client: Client) => {
          const { privateKey, publicKey } = await crypto.subtle.generateKey(
            { name: 'ECDSA', namedCurve: 'P-256' },
            true,
            ['sign', 'verify'],
          )
          const jwk = await exportJWK(publicKey)
          const bound = client.simulator.signIn({ jkt: await calculateJwkThumbprint(jwk) })
          const url = `${client.simulator.apiUrl}/me`
          const digest = await crypto.subtle.digest(
            'SHA-256',
            new TextEncoder().encode(bound.accessToken),
          )
          const proof = await new SignJWT({
            htm: 'GET',
            htu: url,
            jti: crypto.randomUUID(),
            nonce: client.simulator.dpop?.apiNonce,
            ath: Buffer.from(digest).toString('base64url'),
          })
            .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk })
            .setIssuedAt(Math.floor(Date.now() / 1000) - 600)
            .sign(privateKey)
          return fetch(url, {
            headers: { Authorization: `DPoP ${bound.accessToken}`, DPoP: proof },
          })
        },
      ],
    ])('refuses a proof %s with 401 invalid_dpop_proof', async (_, reason, send) => {
      const client = await signedIn()
      await client.call()

      const response = await send(client)

      expect(response.status).toBe(401)
      const challenge = response.headers.get('www-authenticate')
      expect(challenge).toMatch(/^DPoP error="invalid_dpop_proof"/)
      expect(challenge).toMatch(reason)
      expect(client.simulator.stats.invalidProofs).toBe(1)
    })
  })

  describe('when the token endpoint is asked for tokens', () => {
    it('asks for its nonce once, then issues DPoP tokens bound to the key, which the ready refresh function uses', async () => {
      const { simulator, dpop } = await signedIn()

      const tokens = await simulator.refresh({
        tokens: undefined,
        signal: new AbortController().signal,
        dpop,
      })
      const response = await fetch(`${simulator.apiUrl}/me`, {
        headers: {
          Authorization: `DPoP ${tokens.accessToken}`,
          DPoP: await dpop.proof({
            method: 'GET',
            url: `${simulator.apiUrl}/me`,
            accessToken: tokens.accessToken,
          }),
        },
      })

      expect(tokens.tokenType).toBe('DPoP')
      expect(simulator.stats.refreshCalls).toBe(2)
      expect(simulator.stats.nonceChallenges.token).toBe(1)
      // The API has its own nonce, which this first request did not know.
      expect(response.headers.get('www-authenticate')).toMatch(/use_dpop_nonce/)
      expect(simulator.stats.invalidProofs).toBe(0)
    })

    it('refuses a token request without a proof with 400 invalid_dpop_proof', async () => {
      const { simulator } = await signedIn()

      const error = await simulator
        .refresh({ tokens: undefined, signal: new AbortController().signal })
        .catch((caught: unknown) => caught)

      expect(error).toBeInstanceOf(TokenEndpointError)
      expect(error).toMatchObject({ error: 'invalid_dpop_proof', status: 400 })
    })
  })

  describe('when it is misused', () => {
    it('throws a TypeError naming what is wrong', () => {
      const simulator = createOAuthSimulator({ dpop: true })

      expect(() => simulator.signIn()).toThrow(/`jkt`/)
      expect(() => createOAuthSimulator({ dpop: true, tokenType: 'Bearer' })).toThrow(/`tokenType`/)
      expect(() => createOAuthSimulator({ dpop: { rotateNonceEvery: 0 } })).toThrow(
        /`dpop.rotateNonceEvery`/,
      )
    })
  })
})
