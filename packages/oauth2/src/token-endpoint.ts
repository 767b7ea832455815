import {
  type DPoPHandle,
  isInvalidGrant,
  parseTokenResponse,
  SessionExpiredError,
  type TokenSet,
} from '@tokenflight/core'
import * as oauth from 'oauth4webapi'
import {
  type AuthorizationServer,
  type AuthorizationServerSource,
  authorizationServerSource,
  type EndpointName,
} from './authorization-server.js'
import {
  checkOptionsObject,
  optionalFunction,
  optionalParameters,
  optionalString,
  requiredString,
} from './option-checks.js'
import { describeRequestFailure, requestOptions } from './request-failure.js'

/** How the client proves its identity at the token endpoint (RFC 6749, section 2.3). */
export type ClientAuthenticationMethod = 'client_secret_basic' | 'client_secret_post' | 'none'

/** Options every grant shares: where the authorization server is, who the client is, how requests are sent. */
export interface TokenEndpointOptions {
  /**
   * The issuer to discover the token endpoint from (OpenID Connect discovery, then RFC 8414), once, at the first
   * refresh. Give this or `tokenEndpoint`; with both, nothing is discovered and ID tokens are checked against it.
   */
  issuer?: string | URL
  /** The token endpoint URL: https, or http on a loopback address. */
  tokenEndpoint?: string | URL
  /** The client identifier the provider issued. Required. */
  clientId: string
  /** The client secret, for a confidential client. */
  clientSecret?: string
  /** Default `'client_secret_basic'` when `clientSecret` is given, otherwise `'none'` (a public client). */
  clientAuthentication?: ClientAuthenticationMethod
  /** The `scope` request parameter, space-separated. Default: none sent. */
  scope?: string
  /** More request parameters, such as `audience` or `resource`. Default: none. */
  extraParameters?: Record<string, string> | URLSearchParams
  /** The fetch used for every request. Default: the global `fetch`. */
  fetch?: typeof fetch
  /** The clock that `expires_in` counts from, in epoch milliseconds. Default `Date.now`. */
  now?: () => number
}

export const tokenEndpointOptionNames = [
  'issuer',
  'tokenEndpoint',
  'clientId',
  'clientSecret',
  'clientAuthentication',
  'scope',
  'extraParameters',
  'fetch',
  'now',
] as const

/** Token endpoint options, checked, with the authorization server resolved lazily. */
export interface TokenEndpoint {
  server: AuthorizationServerSource
  client: oauth.Client
  clientAuthentication: oauth.ClientAuth
  /** Sent in requests, and so blanked out of anything the server echoes back. */
  clientSecret: string | undefined
  /** Scope and extra parameters, in one object. */
  parameters: Record<string, string>
  fetch: typeof fetch | undefined
  now: () => number
}

const clientAuthenticationMethods = new Set<string>([
  'client_secret_basic',
  'client_secret_post',
  'none',
])

/**
 * Checks the options a grant (or a sign-in) shares; misuse throws a `TypeError` naming the option.
 * `clientId` may be missing only when `clientIdFallback` is given: the request then carries no client authentication.
 */
export function resolveTokenEndpoint(
  options: unknown,
  settings: {
    knownOptions: ReadonlySet<string>
    /** Request parameters the grant sets itself, which `extraParameters` must not set. */
    reservedParameters: readonly string[]
    needed?: readonly EndpointName[]
    clientIdFallback?: string | undefined
  },
): TokenEndpoint {
  checkOptionsObject(options, settings.knownOptions, '`clientId` and `tokenEndpoint` or `issuer`')
  const clientId =
    options.clientId === undefined && settings.clientIdFallback !== undefined
      ? undefined
      : requiredString(options.clientId, 'clientId')
  const clientSecret = optionalString(options.clientSecret, 'clientSecret')
  const method = options.clientAuthentication
  if (method !== undefined && !clientAuthenticationMethods.has(method as string)) {
    throw new TypeError(
      "Expected `clientAuthentication` to be 'client_secret_basic', 'client_secret_post' or 'none'",
    )
  }
  const scope = optionalString(options.scope, 'scope')
  const reserved = new Set([
    'grant_type',
    'client_id',
    'client_secret',
    'scope',
    ...settings.reservedParameters,
  ])
  const parameters = optionalParameters(options.extraParameters, 'extraParameters', reserved)
  if (scope !== undefined) parameters.scope = scope
  const customFetch = optionalFunction<typeof fetch>(options.fetch, 'fetch')
  return {
    server: authorizationServerSource(options, settings.needed ?? ['token_endpoint'], customFetch),
    client: { client_id: clientId ?? settings.clientIdFallback ?? '' },
    clientAuthentication:
      clientId === undefined
        ? noClientAuthentication
        : clientAuthentication(method as ClientAuthenticationMethod | undefined, clientSecret),
    clientSecret,
    parameters,
    fetch: customFetch,
    now: optionalFunction<() => number>(options.now, 'now') ?? Date.now,
  }
}

function clientAuthentication(
  method: ClientAuthenticationMethod | undefined,
  clientSecret: string | undefined,
): oauth.ClientAuth {
  const resolved = method ?? (clientSecret === undefined ? 'none' : 'client_secret_basic')
  if (resolved === 'none') {
    if (clientSecret !== undefined) {
      throw new TypeError(
        "Expected no `clientSecret` with `clientAuthentication: 'none'`: a public client has no secret",
      )
    }
    return oauth.None()
  }
  if (clientSecret === undefined) {
    throw new TypeError(`Expected \`clientSecret\` with \`clientAuthentication: '${resolved}'\``)
  }
  return resolved === 'client_secret_post'
    ? oauth.ClientSecretPost(clientSecret)
    : oauth.ClientSecretBasic(clientSecret)
}

// RFC 7523 lets a JWT bearer grant go without client authentication (service accounts such as Google's).
const noClientAuthentication: oauth.ClientAuth = () => {}

/** One token request: how to send it and how oauth4webapi checks its answer. */
export interface TokenRequest {
  send(
    server: oauth.AuthorizationServer,
    options: ReturnType<typeof requestOptions>,
  ): Promise<Response>
  process(
    server: oauth.AuthorizationServer,
    response: Response,
  ): Promise<oauth.TokenEndpointResponse>
  /** Credentials the request carries besides the client secret (a refresh token, an assertion, a code). */
  secrets: readonly string[]
  /** An `invalid_grant` answer rejects the refresh token: the session is over. */
  invalidGrantEndsSession: boolean
}

/**
 * Sends one token request through oauth4webapi and turns the answer into a `TokenSet`; an `invalid_grant` answer
 * becomes `SessionExpiredError` where it ends the session, any other failure an `AuthorizationServerError`. With a
 * DPoP handle the request carries a proof of its key, and is sent once more when the server asks for its nonce.
 */
export async function requestTokens(
  endpoint: TokenEndpoint,
  request: TokenRequest,
  signal: AbortSignal | undefined,
  dpop?: DPoPHandle | undefined,
): Promise<TokenSet> {
  const server = await endpoint.server(signal)
  return parseTokenResponse(await sendTokenRequest(endpoint, server, request, signal, dpop), {
    now: endpoint.now,
  })
}

async function sendTokenRequest(
  endpoint: TokenEndpoint,
  { metadata, issuerKnown }: AuthorizationServer,
  request: TokenRequest,
  signal: AbortSignal | undefined,
  dpop: DPoPHandle | undefined,
): Promise<oauth.TokenEndpointResponse> {
  const url = new URL(metadata.token_endpoint ?? '')
  // RFC 9449 §8: a server that wants a nonce answers `use_dpop_nonce` with one; the request is then sent once more,
  // with a new proof that carries it. A second such answer is a failure like any other.
  for (let attempt = 1; ; attempt++) {
    try {
      const options = requestOptions(url, signal, endpoint.fetch)
      if (dpop !== undefined) options.headers = { dpop: await dpop.proof({ method: 'POST', url }) }
      const response = await request.send(metadata, options)
      dpop?.learnNonce(url, response.headers.get('dpop-nonce'))
      return await request.process(
        metadata,
        issuerKnown ? response : await withoutIdToken(response),
      )
    } catch (error) {
      if (dpop !== undefined && attempt === 1 && oauth.isDPoPNonceError(error)) continue
      throw describeTokenRequestFailure(endpoint, request, url, signal, error)
    }
  }
}

function describeTokenRequestFailure(
  endpoint: TokenEndpoint,
  request: TokenRequest,
  url: URL,
  signal: AbortSignal | undefined,
  error: unknown,
): unknown {
  const secrets = [...request.secrets, endpoint.clientSecret ?? '']
  const failure = describeRequestFailure(error, {
    endpoint: url.href,
    signal,
    what: 'Token endpoint',
    secrets,
  })
  if (request.invalidGrantEndsSession && isInvalidGrant(failure)) {
    return new SessionExpiredError('Session expired: the token endpoint answered invalid_grant', {
      cause: failure,
    })
  }
  return failure
}

// Without a known issuer an ID token cannot be checked, and only the access and refresh tokens are used, so the
// ID token is set aside rather than failing every refresh (some providers send one with each refresh).
async function withoutIdToken(response: Response): Promise<Response> {
  if (response.status !== 200) return response
  let body: unknown
  try {
    body = await response.clone().json()
  } catch {
    return response
  }
  if (typeof body !== 'object' || body === null || !('id_token' in body)) return response
  const { id_token: _idToken, ...rest } = body as Record<string, unknown>
  const headers = new Headers(response.headers)
  headers.delete('content-length')
  return new Response(JSON.stringify(rest), { status: response.status, headers })
}
