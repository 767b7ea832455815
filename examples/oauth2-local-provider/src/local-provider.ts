import { once } from 'node:events'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  createLocalJWKSet,
  exportJWK,
  exportPKCS8,
  generateKeyPair,
  importJWK,
  jwtVerify,
} from 'jose'
import {
  type MutableResponse,
  type MutableToken,
  OAuth2Issuer,
  OAuth2Service,
} from 'oauth2-mock-server'

/** Options of {@link startLocalProvider}. */
export interface LocalProviderOptions {
  /** Milliseconds an access token lives, so that a short run sees several refreshes. Default 2 000. */
  accessTokenTtlMs?: number
  /** Port on 127.0.0.1. Default 0: any free port. */
  port?: number
}

/** A provider on loopback for the examples: no account anywhere, tokens that expire within seconds. */
export interface LocalProvider {
  issuer: string
  /** Token endpoint of the authorization code, refresh token and client credentials grants. */
  tokenEndpoint: string
  authorizationEndpoint: string
  /** Token endpoint of the JWT bearer grant (RFC 7523), for {@link LocalProvider.serviceAccount}. */
  jwtBearerTokenEndpoint: string
  /** A protected API: `GET` answers 200 with the token's claims for a valid access token, 401 otherwise. */
  apiUrl: string
  /** A client for client credentials (the provider accepts any client; these are for show). */
  client: { clientId: string; clientSecret: string }
  /** The service account the JWT bearer endpoint trusts: RS256, PKCS #8 PEM private key. */
  serviceAccount: { clientId: string; keyId: string; privateKeyPem: string }
  accessTokenTtlMs: number
  /** Token requests by grant type, and API answers by status. */
  stats: { tokenRequests: Record<string, number>; apiAnswers: Record<number, number> }
  close(): Promise<void>
}

const jwtBearerGrantType = 'urn:ietf:params:oauth:grant-type:jwt-bearer'

/**
 * Starts oauth2-mock-server on 127.0.0.1 (discovery, authorization code with PKCE, refresh tokens rotated on every
 * refresh, client credentials), plus a JWT bearer token endpoint that verifies assertions with jose, and a
 * protected API that verifies access tokens with jose.
 */
export async function startLocalProvider(
  options: LocalProviderOptions = {},
): Promise<LocalProvider> {
  const accessTokenTtlMs = options.accessTokenTtlMs ?? 2_000
  const issuer = new OAuth2Issuer()
  const [, serviceAccountKeys] = await Promise.all([
    issuer.keys.generate('RS256'),
    generateKeyPair('RS256', { extractable: true }),
  ])
  const service = new OAuth2Service(issuer)
  const stats: LocalProvider['stats'] = { tokenRequests: {}, apiAnswers: {} }
  const count = (record: Record<string | number, number>, key: string | number) => {
    record[key] = (record[key] ?? 0) + 1
  }

  // Seconds are too coarse for tokens that live two: the JWT lives at least as long as `expires_in` says.
  issuer.on('beforeSigning', (token: MutableToken) => {
    token.payload.exp = Math.ceil((Date.now() + accessTokenTtlMs) / 1000)
  })
  service.on(
    'beforeResponse',
    (response: MutableResponse, request: IncomingMessage & { body: { grant_type?: string } }) => {
      count(stats.tokenRequests, String(request.body.grant_type))
      if (typeof response.body === 'object' && 'access_token' in response.body) {
        response.body.expires_in = accessTokenTtlMs / 1000
      }
    },
  )

  const serviceAccount = {
    clientId: 'report-service',
    keyId: 'report-service-key-1',
    privateKeyPem: await exportPKCS8(serviceAccountKeys.privateKey),
  }
  const serviceAccountPublicKey = await importJWK(
    await exportJWK(serviceAccountKeys.publicKey),
    'RS256',
  )

  async function jwtBearerToken(request: IncomingMessage, response: ServerResponse) {
    const form = new URLSearchParams(await readBody(request))
    count(stats.tokenRequests, String(form.get('grant_type')))
    if (form.get('grant_type') !== jwtBearerGrantType) {
      return sendJson(response, 400, { error: 'unsupported_grant_type' })
    }
    try {
      const { payload } = await jwtVerify(String(form.get('assertion')), serviceAccountPublicKey, {
        algorithms: ['RS256'],
        issuer: serviceAccount.clientId,
        audience: `${issuer.url}/jwt-bearer/token`,
        requiredClaims: ['exp', 'iat', 'jti', 'sub'],
      })
      const accessToken = await issuer.buildToken({
        scopesOrTransform: (_header, claims) => {
          claims.sub = String(payload.sub)
          claims.client_id = serviceAccount.clientId
        },
      })
      sendJson(response, 200, {
        access_token: accessToken,
        token_type: 'Bearer',
        expires_in: accessTokenTtlMs / 1000,
      })
    } catch (error) {
      sendJson(response, 400, {
        error: 'invalid_grant',
        error_description: (error as Error).message,
      })
    }
  }

  async function api(request: IncomingMessage, response: ServerResponse) {
    const token = /^Bearer (.+)$/i.exec(request.headers.authorization ?? '')?.[1]
    try {
      const { payload } = await jwtVerify(
        token ?? '',
        createLocalJWKSet({ keys: issuer.keys.toJSON() }),
        {
          issuer: issuer.url ?? '',
        },
      )
      count(stats.apiAnswers, 200)
      sendJson(response, 200, { sub: payload.sub, scope: payload.scope })
    } catch {
      count(stats.apiAnswers, 401)
      response.setHeader('www-authenticate', 'Bearer error="invalid_token"')
      sendJson(response, 401, { error: 'invalid_token' })
    }
  }

  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname
    if (path === '/jwt-bearer/token' && request.method === 'POST')
      return void jwtBearerToken(request, response)
    if (path === '/api/me') return void api(request, response)
    service.requestHandler(request, response)
  })
  server.listen(options.port ?? 0, '127.0.0.1')
  await once(server, 'listening')
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  issuer.url = origin

  return {
    issuer: origin,
    tokenEndpoint: `${origin}/token`,
    authorizationEndpoint: `${origin}/authorize`,
    jwtBearerTokenEndpoint: `${origin}/jwt-bearer/token`,
    apiUrl: `${origin}/api/me`,
    client: { clientId: 'example-backend', clientSecret: 'example-backend-secret' },
    serviceAccount,
    accessTokenTtlMs,
    stats,
    close: async () => {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString()
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
  response.end(JSON.stringify(body))
}
