import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, exportPKCS8, generateKeyPair, importJWK, type JWK, jwtVerify } from 'jose'
import Provider, { type ClientMetadata, errors, type KoaContextWithOIDC } from 'oidc-provider'
import { afterAll, beforeAll } from 'vitest'
import {
  registerTokenExchange,
  type TokenExchangeRecord,
  tokenExchangeGrantType,
} from './token-exchange.js'

export const jwtBearerGrantType = 'urn:ietf:params:oauth:grant-type:jwt-bearer'

/** Clients registered at the local provider, by role. */
export const clients = {
  /** A native app signing in on a loopback redirect: public, PKCE, refresh tokens (rotated). */
  cli: 'cli-app',
  /** A confidential web app using refresh tokens, authenticating with client_secret_basic. */
  web: 'web-app',
  webSecret: 'web-app-secret-value',
  /** A backend using client_credentials with client_secret_basic. */
  service: 'billing-service',
  serviceSecret: 'billing-service-secret-value',
  /** A backend using client_credentials with client_secret_post. */
  postService: 'post-service',
  postServiceSecret: 'post-service-secret-value',
  /** A service account using jwt-bearer with an HS256 assertion. */
  hmacSigner: 'hmac-signer',
  hmacSignerSecret: 'hmac-signer-shared-secret-at-least-32-bytes',
  /** A service account using jwt-bearer with an RS256 assertion (key id `signer-key-1`). */
  rsaSigner: 'rsa-signer',
  /** A backend exchanging tokens (RFC 8693) with client_secret_basic. */
  exchanger: 'token-exchanger',
  exchangerSecret: 'token-exchanger-secret-value',
  /** A native app whose tokens must be DPoP-bound: public, PKCE, refresh tokens (rotated). */
  dpopCli: 'dpop-cli-app',
  /** A backend using client_credentials whose tokens must be DPoP-bound. */
  dpopService: 'dpop-service',
  dpopServiceSecret: 'dpop-service-secret-value',
} as const

export interface LocalProvider {
  issuer: string
  provider: Provider
  /** Grants the provider completed and refused, by grant type: what the client really sent. */
  grants: { succeeded: Map<string, number>; failed: Map<string, number> }
  /** The RSA private key the `rsaSigner` client signs its assertions with, as PKCS #8 PEM. */
  rsaSignerPrivateKeyPem: string
  /** The assertions the jwt-bearer grant accepted, decoded. */
  acceptedAssertions: Array<{ header: Record<string, unknown>; payload: Record<string, unknown> }>
  /** What each token exchange issued, by the access token it issued. */
  exchangedTokens: Map<string, TokenExchangeRecord>
  close(): Promise<void>
}

// RSA key generation takes a good part of a second: one pair of keys serves every provider a test file starts.
let keys: Promise<Record<'signingKey' | 'signer', CryptoKeyPair>> | undefined
async function generateKeys() {
  const [signingKey, signer] = await Promise.all([
    generateKeyPair('RS256', { extractable: true }),
    generateKeyPair('RS256', { extractable: true }),
  ])
  return { signingKey, signer }
}

export interface LocalProviderOptions {
  /** Seconds an access token lives. Default 10. */
  accessTokenTtl?: number
  /** Every DPoP proof must carry the provider's nonce (RFC 9449 §8, §9), at the token endpoint and at userinfo. */
  dpopNonces?: boolean
}

/**
 * Starts oidc-provider on 127.0.0.1 with an ephemeral port: dev interactions (login and consent forms), refresh
 * token rotation, client_credentials, revocation, and jwt-bearer and token exchange grants registered through its
 * extension API.
 */
export async function startLocalProvider(
  options: LocalProviderOptions = {},
): Promise<LocalProvider> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  const issuer = `http://127.0.0.1:${port}`
  const accessTokenTtl = options.accessTokenTtl ?? 10

  keys ??= generateKeys()
  const { signingKey, signer } = await keys
  const providerJwk = {
    ...(await exportJWK(signingKey.privateKey)),
    kid: 'provider-key',
    alg: 'RS256',
    use: 'sig',
  }
  const signerPublicJwk: JWK = {
    ...(await exportJWK(signer.publicKey)),
    kid: 'signer-key-1',
    alg: 'RS256',
  }

  const clientList: ClientMetadata[] = [
    {
      client_id: clients.cli,
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      redirect_uris: ['http://127.0.0.1/callback'],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    },
    {
      client_id: clients.web,
      client_secret: clients.webSecret,
      application_type: 'native',
      token_endpoint_auth_method: 'client_secret_basic',
      redirect_uris: ['http://127.0.0.1/callback'],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    },
    {
      client_id: clients.service,
      client_secret: clients.serviceSecret,
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      scope: 'api:read api:write',
    },
    {
      client_id: clients.postService,
      client_secret: clients.postServiceSecret,
      token_endpoint_auth_method: 'client_secret_post',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      scope: 'api:read',
    },
    {
      client_id: clients.hmacSigner,
      token_endpoint_auth_method: 'none',
      grant_types: [jwtBearerGrantType],
      response_types: [],
      redirect_uris: [],
    },
    {
      client_id: clients.rsaSigner,
      token_endpoint_auth_method: 'none',
      grant_types: [jwtBearerGrantType],
      response_types: [],
      redirect_uris: [],
    },
    {
      client_id: clients.dpopCli,
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      redirect_uris: ['http://127.0.0.1/callback'],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      dpop_bound_access_tokens: true,
    },
    {
      client_id: clients.dpopService,
      client_secret: clients.dpopServiceSecret,
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      scope: 'api:read',
      dpop_bound_access_tokens: true,
    },
    {
      client_id: clients.exchanger,
      client_secret: clients.exchangerSecret,
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: [tokenExchangeGrantType],
      response_types: [],
      redirect_uris: [],
    },
  ]

  const provider = quietly(
    () =>
      new Provider(issuer, {
        clients: clientList,
        jwks: { keys: [providerJwk] },
        cookies: { keys: ['local-provider-cookie-key'] },
        findAccount: (_ctx, id) => ({ accountId: id, claims: () => ({ sub: id }) }),
        scopes: ['openid', 'offline_access', 'api:read', 'api:write'],
        features: {
          devInteractions: { enabled: true },
          clientCredentials: { enabled: true },
          revocation: { enabled: true, allowedPolicy: async () => true },
          dPoP: options.dpopNonces
            ? {
                enabled: true,
                nonceSecret: randomBytes(32),
                requireNonce: () => true,
              }
            : { enabled: true },
        },
        ttl: {
          AccessToken: accessTokenTtl,
          ClientCredentials: accessTokenTtl,
          AuthorizationCode: 60,
          IdToken: 3600,
          RefreshToken: 24 * 3600,
          Interaction: 3600,
          Session: 24 * 3600,
          Grant: 24 * 3600,
        },
        // Its default of 15 s would keep an expired token valid; here the provider and the client share one clock.
        clockTolerance: 0,
        rotateRefreshToken: true,
        issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
        clientBasedCORS: () => false,
      }),
  )

  const grants = { succeeded: new Map<string, number>(), failed: new Map<string, number>() }
  const count = (map: Map<string, number>, ctx: KoaContextWithOIDC) => {
    const type = String(ctx.oidc.params?.grant_type)
    map.set(type, (map.get(type) ?? 0) + 1)
  }
  provider.on('grant.success', (ctx) => count(grants.succeeded, ctx))
  provider.on('grant.error', (ctx) => count(grants.failed, ctx))

  const acceptedAssertions: LocalProvider['acceptedAssertions'] = []
  const seenJti = new Set<string>()
  const assertionKeys: Record<string, Uint8Array | JWK> = {
    [clients.hmacSigner]: new TextEncoder().encode(clients.hmacSignerSecret),
    [clients.rsaSigner]: signerPublicJwk,
  }
  provider.registerGrantType(
    jwtBearerGrantType,
    async (ctx) => {
      const client = ctx.oidc.client
      const key = assertionKeys[client.clientId]
      let verified: Awaited<ReturnType<typeof jwtVerify>>
      try {
        verified = await jwtVerify(
          String(ctx.oidc.params?.assertion),
          async (header) => {
            if (key instanceof Uint8Array) return key
            if (header.kid !== key?.kid) throw new Error('unknown kid')
            return importJWK(key as JWK, 'RS256')
          },
          {
            issuer: client.clientId,
            audience: `${issuer}/token`,
            algorithms: key instanceof Uint8Array ? ['HS256'] : ['RS256'],
            requiredClaims: ['exp', 'iat', 'jti', 'sub'],
            maxTokenAge: 3_660,
          },
        )
      } catch (error) {
        throw new errors.InvalidGrant(`assertion rejected: ${(error as Error).message}`)
      }
      const { payload, protectedHeader } = verified
      if (seenJti.has(String(payload.jti))) throw new errors.InvalidGrant('assertion replayed')
      seenJti.add(String(payload.jti))
      acceptedAssertions.push({ header: { ...protectedHeader }, payload: { ...payload } })

      const grant = new provider.Grant({
        accountId: String(payload.sub),
        clientId: client.clientId,
      })
      grant.addOIDCScope('openid')
      const grantId = await grant.save()
      const token = new provider.AccessToken({
        accountId: String(payload.sub),
        client,
        grantId,
        gty: 'jwt_bearer',
        scope: 'openid',
      })
      ctx.body = {
        access_token: await token.save(),
        expires_in: token.expiration,
        token_type: token.tokenType,
        scope: token.scope,
      }
    },
    ['assertion', 'scope'],
  )

  const exchangedTokens = new Map<string, TokenExchangeRecord>()
  registerTokenExchange(provider, exchangedTokens)

  server.on('request', provider.callback())
  return {
    issuer,
    provider,
    grants,
    rsaSignerPrivateKeyPem: await exportPKCS8(signer.privateKey),
    acceptedAssertions,
    exchangedTokens,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      )
    },
  }
}

// oidc-provider rightly warns that dev interactions and its in-memory store are not for production, for each
// instance; the tests start many instances on purpose.
function quietly<T>(create: () => T): T {
  const warn = console.warn
  console.warn = (...args: unknown[]) => {
    if (String(args[0]).includes('quick start development-only')) return
    warn(...args)
  }
  try {
    return create()
  } finally {
    console.warn = warn
  }
}

/** Starts a provider before the tests of the calling file and closes it after them. */
export function useLocalProvider(options: LocalProviderOptions = {}): LocalProvider {
  const local = {} as LocalProvider
  beforeAll(async () => {
    Object.assign(local, await startLocalProvider(options))
  })
  afterAll(() => local.close())
  return local
}
