import type { RefreshFunction } from '@tokenflight/core'
import { importJWK, importPKCS8, type JWK, SignJWT } from 'jose'
import * as oauth from 'oauth4webapi'
import { checkOptionsObject, optionalDuration, optionalString } from './option-checks.js'
import {
  requestTokens,
  resolveTokenEndpoint,
  type TokenEndpointOptions,
  tokenEndpointOptionNames,
} from './token-endpoint.js'

/** How the JWT assertion of {@link jwtBearerGrant} is signed, and what it claims. */
export interface JwtBearerAssertionOptions {
  /** `'HS256'` signs with a shared secret, `'RS256'` with an RSA private key. Required. */
  algorithm: 'HS256' | 'RS256'
  /**
   * The signing key. HS256: the shared secret, as a string or bytes. RS256: a PKCS #8 PEM string
   * (`-----BEGIN PRIVATE KEY-----`), a private JWK, or a `CryptoKey`. Required.
   */
  key: string | Uint8Array | CryptoKey | JWK
  /** The `kid` header, naming the key to the provider. Default: the JWK's `kid`, if any. */
  keyId?: string
  /** The `iss` claim. Default: `clientId`. */
  issuer?: string
  /** The `sub` claim: whom the token is for. Default: the assertion's issuer. */
  subject?: string
  /** The `aud` claim. Default: the token endpoint URL. */
  audience?: string | string[]
  /** Milliseconds from signing to the `exp` claim. Default 3 600 000 (one hour). */
  lifetimeMs?: number
  /** More claims, such as `scope` for providers that want it inside the assertion. */
  claims?: Record<string, unknown>
}

/**
 * Options of {@link jwtBearerGrant}, where `clientId` is optional: without it the request carries no client
 * authentication (RFC 7523 allows it, as Google's service accounts do) and `assertion.issuer` is required.
 */
export interface JwtBearerGrantOptions extends Omit<TokenEndpointOptions, 'clientId'> {
  clientId?: string
  assertion: JwtBearerAssertionOptions
}

const grantType = 'urn:ietf:params:oauth:grant-type:jwt-bearer'
const knownOptions = new Set<string>([...tokenEndpointOptionNames, 'assertion'])
const knownAssertionOptions = new Set<string>([
  'algorithm',
  'key',
  'keyId',
  'issuer',
  'subject',
  'audience',
  'lifetimeMs',
  'claims',
])
const defaultAssertionLifetimeMs = 3_600_000

/**
 * Returns a refresh function that signs a fresh JWT assertion with jose (`iss`, `sub`, `aud`, `iat`, `exp`, `jti`,
 * and `kid` when known) and exchanges it for an access token (RFC 7523) whenever the refresher needs one.
 *
 * @example
 * const refresher = createTokenRefresher({
 *   refresh: jwtBearerGrant({
 *     tokenEndpoint,
 *     clientId: 'reporting-service',
 *     assertion: { algorithm: 'RS256', key: privateKeyPem, keyId: 'key-2026' },
 *   }),
 * })
 */
export function jwtBearerGrant(options: JwtBearerGrantOptions): RefreshFunction {
  checkOptionsObject(options, knownOptions, '`assertion` and `tokenEndpoint` or `issuer`')
  const assertion = resolveAssertionOptions(options.assertion, options.clientId)
  const endpoint = resolveTokenEndpoint(options, {
    knownOptions,
    reservedParameters: ['assertion'],
    clientIdFallback: assertion.issuer,
  })
  let signingKey: Promise<CryptoKey | Uint8Array> | undefined
  return async ({ signal, dpop }) => {
    signingKey ??= importSigningKey(assertion.algorithm, assertion.key)
    const key = await signingKey
    const secrets: string[] = []
    return requestTokens(
      endpoint,
      {
        send: async (server, requestOptions) => {
          const jwt = await signAssertion(
            assertion,
            key,
            server.token_endpoint ?? '',
            endpoint.now(),
          )
          secrets.push(jwt)
          return oauth.genericTokenEndpointRequest(
            server,
            endpoint.client,
            endpoint.clientAuthentication,
            grantType,
            { ...endpoint.parameters, assertion: jwt },
            requestOptions,
          )
        },
        process: (server, response) =>
          oauth.processGenericTokenEndpointResponse(server, endpoint.client, response),
        secrets,
        invalidGrantEndsSession: true,
      },
      signal,
      dpop,
    )
  }
}

interface AssertionSettings {
  algorithm: 'HS256' | 'RS256'
  key: JwtBearerAssertionOptions['key']
  keyId: string | undefined
  issuer: string
  subject: string
  audience: string | string[] | undefined
  lifetimeMs: number
  claims: Record<string, unknown>
}

function resolveAssertionOptions(value: unknown, clientId: unknown): AssertionSettings {
  checkOptionsObject(value, knownAssertionOptions, '`algorithm` and `key`', 'assertion')
  const options = value as Partial<Record<keyof JwtBearerAssertionOptions, unknown>>
  const { algorithm, key, audience, claims } = options
  if (algorithm !== 'HS256' && algorithm !== 'RS256') {
    throw new TypeError("Expected `assertion.algorithm` to be 'HS256' or 'RS256'")
  }
  const keyIsJwk = typeof key === 'object' && key !== null && 'kty' in key
  if (
    !(typeof key === 'string' && key !== '') &&
    !(key instanceof Uint8Array && key.byteLength > 0) &&
    !(key instanceof CryptoKey) &&
    !keyIsJwk
  ) {
    throw new TypeError(
      'Expected `assertion.key` to be a non-empty string or Uint8Array, a JWK or a CryptoKey',
    )
  }
  if (algorithm === 'RS256' && key instanceof Uint8Array) {
    throw new TypeError(
      'Expected `assertion.key` for RS256 to be a PKCS #8 PEM string, a private JWK or a CryptoKey',
    )
  }
  const issuer =
    optionalString(options.issuer, 'assertion.issuer') ??
    (typeof clientId === 'string' && clientId.trim() !== '' ? clientId : undefined)
  if (issuer === undefined) {
    throw new TypeError('Expected `clientId` or `assertion.issuer` to be a non-empty string')
  }
  if (
    audience !== undefined &&
    !(typeof audience === 'string' && audience !== '') &&
    !(
      Array.isArray(audience) &&
      audience.length > 0 &&
      audience.every((item) => typeof item === 'string')
    )
  ) {
    throw new TypeError(
      'Expected `assertion.audience` to be a non-empty string or array of strings',
    )
  }
  if (
    claims !== undefined &&
    (typeof claims !== 'object' || claims === null || Array.isArray(claims))
  ) {
    throw new TypeError('Expected `assertion.claims` to be an object')
  }
  const jwkKeyId = keyIsJwk ? (key as JWK).kid : undefined
  return {
    algorithm,
    key: key as JwtBearerAssertionOptions['key'],
    keyId: optionalString(options.keyId, 'assertion.keyId') ?? jwkKeyId,
    issuer,
    subject: optionalString(options.subject, 'assertion.subject') ?? issuer,
    audience: audience as string | string[] | undefined,
    lifetimeMs: optionalDuration(
      options.lifetimeMs,
      'assertion.lifetimeMs',
      defaultAssertionLifetimeMs,
    ),
    claims: (claims as Record<string, unknown> | undefined) ?? {},
  }
}

async function importSigningKey(
  algorithm: 'HS256' | 'RS256',
  key: JwtBearerAssertionOptions['key'],
): Promise<CryptoKey | Uint8Array> {
  if (key instanceof CryptoKey || key instanceof Uint8Array) return key
  try {
    if (typeof key !== 'string') return await importJWK(key, algorithm)
    return algorithm === 'HS256' ? new TextEncoder().encode(key) : await importPKCS8(key, algorithm)
  } catch (error) {
    const expected =
      algorithm === 'HS256'
        ? 'an HS256 secret'
        : 'an RS256 private key (PKCS #8 PEM or private JWK)'
    throw new TypeError(`Expected \`assertion.key\` to be ${expected}`, { cause: error })
  }
}

function signAssertion(
  assertion: AssertionSettings,
  key: CryptoKey | Uint8Array,
  tokenEndpoint: string,
  nowMs: number,
): Promise<string> {
  const issuedAt = Math.floor(nowMs / 1000)
  return new SignJWT(assertion.claims)
    .setProtectedHeader({
      alg: assertion.algorithm,
      typ: 'JWT',
      ...(assertion.keyId === undefined ? {} : { kid: assertion.keyId }),
    })
    .setIssuer(assertion.issuer)
    .setSubject(assertion.subject)
    .setAudience(assertion.audience ?? tokenEndpoint)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + Math.ceil(assertion.lifetimeMs / 1000))
    .setJti(crypto.randomUUID())
    .sign(key)
}
