import * as oauth from 'oauth4webapi'
import { AuthorizationServerError } from './authorization-server-error.js'
import { endpointUrl } from './option-checks.js'
import { describeRequestFailure, requestOptions } from './request-failure.js'

/** The endpoints a grant or a sign-in may need. */
export type EndpointName = 'token_endpoint' | 'authorization_endpoint'

export interface AuthorizationServer {
  metadata: oauth.AuthorizationServer
  /**
   * False when only endpoint URLs were given: the issuer is then unknown, so ID tokens and the `iss` callback
   * parameter cannot be checked against it and are set aside (only access and refresh tokens are used).
   */
  issuerKnown: boolean
}

/** Resolves the authorization server's metadata: given, or discovered once and then kept. */
export type AuthorizationServerSource = (signal?: AbortSignal) => Promise<AuthorizationServer>

const optionNames: Record<EndpointName, string> = {
  token_endpoint: 'tokenEndpoint',
  authorization_endpoint: 'authorizationEndpoint',
}

/**
 * Reads the `issuer` and endpoint options. With every needed endpoint given, nothing is discovered; otherwise the
 * issuer's metadata is fetched at the first call (OpenID Connect discovery, then RFC 8414), and a failed discovery
 * is tried again at the next call.
 */
export function authorizationServerSource(
  options: Partial<Record<'issuer' | 'tokenEndpoint' | 'authorizationEndpoint', unknown>>,
  needed: readonly EndpointName[],
  customFetch: typeof fetch | undefined,
): AuthorizationServerSource {
  const issuer = options.issuer === undefined ? undefined : endpointUrl(options.issuer, 'issuer')
  const given: Partial<Record<EndpointName, string>> = {}
  for (const name of needed) {
    const value = options[optionNames[name] as 'tokenEndpoint' | 'authorizationEndpoint']
    if (value !== undefined) given[name] = endpointUrl(value, optionNames[name]).href
  }
  const missing = needed.filter((name) => given[name] === undefined)
  if (missing.length === 0) {
    // ID tokens carry the issuer exactly as the provider writes it, so a string is kept as given (`URL` would
    // add a trailing slash). oauth4webapi needs an issuer string even when none is known; it is then never compared.
    const issuerText =
      typeof options.issuer === 'string'
        ? options.issuer
        : (issuer?.href ?? new URL(given[needed[0] ?? 'token_endpoint'] ?? '').origin)
    const server: AuthorizationServer = {
      metadata: { issuer: issuerText, ...given },
      issuerKnown: issuer !== undefined,
    }
    return () => Promise.resolve(server)
  }
  if (issuer === undefined) {
    const names = missing.map((name) => `\`${optionNames[name]}\``).join(' and ')
    throw new TypeError(`Expected \`issuer\` to discover the endpoints from, or ${names}`)
  }
  let discovery: Promise<AuthorizationServer> | undefined
  return (signal) => {
    discovery ??= discover(issuer, needed, given, customFetch, signal).catch((error: unknown) => {
      discovery = undefined
      throw error
    })
    return discovery
  }
}

async function discover(
  issuer: URL,
  needed: readonly EndpointName[],
  given: Partial<Record<EndpointName, string>>,
  customFetch: typeof fetch | undefined,
  signal: AbortSignal | undefined,
): Promise<AuthorizationServer> {
  let metadata: oauth.AuthorizationServer | undefined
  for (const algorithm of ['oidc', 'oauth2'] as const) {
    const endpoint = wellKnownUrl(issuer, algorithm)
    let response: Response
    try {
      response = await oauth.discoveryRequest(issuer, {
        algorithm,
        ...requestOptions(issuer, signal, customFetch),
      })
      // Providers that only implement RFC 8414 answer 404 to the OpenID Connect location.
      if (algorithm === 'oidc' && response.status === 404) continue
      metadata = await oauth.processDiscoveryResponse(issuer, response)
    } catch (error) {
      throw describeRequestFailure(error, { endpoint, signal, what: 'Metadata endpoint' })
    }
    break
  }
  if (metadata === undefined) {
    throw new AuthorizationServerError(
      `Discovery found no metadata for issuer ${issuer.href}: both well-known locations answered 404`,
      { endpoint: wellKnownUrl(issuer, 'oauth2'), status: 404 },
    )
  }
  const resolved: Record<string, unknown> = { ...metadata, ...given }
  for (const name of needed) {
    const value = resolved[name]
    try {
      resolved[name] = endpointUrl(value, name).href
    } catch {
      throw new AuthorizationServerError(
        `Discovery for issuer ${issuer.href} gave no usable \`${name}\` (an https URL, or http on a loopback address)`,
        { endpoint: wellKnownUrl(issuer, 'oidc') },
      )
    }
  }
  return { metadata: resolved as oauth.AuthorizationServer, issuerKnown: true }
}

function wellKnownUrl(issuer: URL, algorithm: 'oidc' | 'oauth2'): string {
  const path = issuer.pathname.replace(/\/$/, '')
  return algorithm === 'oidc'
    ? new URL(`${path}/.well-known/openid-configuration`, issuer).href
    : new URL(`/.well-known/oauth-authorization-server${path}`, issuer).href
}
