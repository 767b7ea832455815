import type { DPoPHandle, TokenSet } from '@tokenflight/core'
import * as oauth from 'oauth4webapi'
import { callList, callScope, callString } from './call-parameters.js'
import { checkOptionsObject, optionalString } from './option-checks.js'
import {
  requestTokens,
  resolveTokenEndpoint,
  type TokenEndpointOptions,
  tokenEndpointOptionNames,
} from './token-endpoint.js'

/** The token type URI of an OAuth 2 access token (RFC 8693, section 3), the default subject and actor token type. */
export const accessTokenType = 'urn:ietf:params:oauth:token-type:access_token'

/**
 * The request parameters of a token exchange (RFC 8693, section 2.1), each given as an option of
 * {@link tokenExchangeGrant} or with each call of the function it returns: a value given with the call wins.
 */
export interface TokenExchangeParameters {
  /** The token of the party on whose behalf the request is made, such as the access token a user called you with. */
  subjectToken?: string
  /** The type URI of `subjectToken`. Default {@link accessTokenType}. */
  subjectTokenType?: string
  /** The token of the party acting for the subject (delegation). Default: none. */
  actorToken?: string
  /** The type URI of `actorToken`. Default {@link accessTokenType} when there is an actor token. */
  actorTokenType?: string
  /** Where the new token is meant to be used, by logical name; an array sends several. Default: none. */
  audience?: string | readonly string[]
  /** Where the new token is meant to be used, by URI; an array sends several. Default: none. */
  resource?: string | readonly string[]
  /** The scope to ask for: space-separated, or a list of scopes. Default: none sent. */
  scope?: string | readonly string[]
  /** The type URI of the token to issue. Default: none sent, the server's choice. */
  requestedTokenType?: string
}

/**
 * Options of {@link tokenExchangeGrant}: where and who the client is, and request parameters that apply to every
 * call. `subjectToken` and `actorToken` may also be functions, read at each exchange (a token file that is rotated).
 */
export interface TokenExchangeGrantOptions
  extends Omit<TokenEndpointOptions, 'scope'>,
    Omit<TokenExchangeParameters, 'subjectToken' | 'actorToken'> {
  subjectToken?: string | (() => string | Promise<string>)
  actorToken?: string | (() => string | Promise<string>)
}

/** What the function {@link tokenExchangeGrant} returns takes: a refresher's context, or any request parameter. */
export type TokenExchangeContext = TokenExchangeParameters & {
  /** Ignored: every exchange starts from the subject token. */
  tokens?: TokenSet | undefined
  signal?: AbortSignal
  /** The refresher's DPoP handle: the request carries a proof of its key, and the new token is bound to it. */
  dpop?: DPoPHandle
}

/**
 * Exchanges a subject token for a new token. A refresh function as it is; in a refresher pool, call it with the
 * parameters of the session's key.
 */
export type TokenExchangeFunction = (context: TokenExchangeContext) => Promise<TokenSet>

const grantType = 'urn:ietf:params:oauth:grant-type:token-exchange'
const parameterOptions = [
  'subjectToken',
  'subjectTokenType',
  'actorToken',
  'actorTokenType',
  'audience',
  'resource',
  'requestedTokenType',
] as const
const knownOptions = new Set<string>([...tokenEndpointOptionNames, ...parameterOptions])

/**
 * Returns a function that exchanges a subject token for a new token at the token endpoint (OAuth 2.0 Token
 * Exchange, RFC 8693): on-behalf-of calls to another API, a narrower audience or scope, delegation with an actor
 * token. A rejected subject token (`invalid_grant`) ends the session with `SessionExpiredError`.
 *
 * @example
 * const exchange = tokenExchangeGrant({ issuer, clientId, clientSecret })
 * const sessions = createRefresherPool<{ subjectToken: string; audience: string }>({
 *   refresh: ({ key, signal }) => exchange({ ...key, signal }),
 * })
 * const token = await sessions.get({ subjectToken: userToken, audience: 'billing-api' }).getAccessToken()
 */
export function tokenExchangeGrant(options: TokenExchangeGrantOptions): TokenExchangeFunction {
  checkOptionsObject(options, knownOptions, '`clientId` and `tokenEndpoint` or `issuer`')
  // `scope` may be a list here, which the shared token endpoint options do not take: it is checked below.
  const endpoint = resolveTokenEndpoint(
    { ...options, scope: undefined },
    {
      knownOptions,
      reservedParameters: [
        'subject_token',
        'subject_token_type',
        'actor_token',
        'actor_token_type',
        'audience',
        'resource',
        'requested_token_type',
      ],
    },
  )
  const defaults = {
    subjectToken: tokenSource(options.subjectToken, 'subjectToken'),
    actorToken: tokenSource(options.actorToken, 'actorToken'),
    subjectTokenType: optionalString(options.subjectTokenType, 'subjectTokenType'),
    actorTokenType: optionalString(options.actorTokenType, 'actorTokenType'),
    audience: callList(options.audience, 'audience'),
    resource: callList(options.resource, 'resource'),
    requestedTokenType: optionalString(options.requestedTokenType, 'requestedTokenType'),
  }
  const scope = callScope(options.scope)

  return async (context) => {
    const subjectToken =
      callString(context.subjectToken, 'subjectToken') ?? (await defaults.subjectToken?.())
    if (subjectToken === undefined) {
      throw new TypeError(
        'Expected `subjectToken` to be given, as an option of tokenExchangeGrant or with the call',
      )
    }
    const actorToken =
      callString(context.actorToken, 'actorToken') ?? (await defaults.actorToken?.())
    const single = (name: 'subjectTokenType' | 'actorTokenType' | 'requestedTokenType') =>
      callString(context[name], name) ?? defaults[name]
    const list = (name: 'audience' | 'resource') =>
      callList(context[name], name) ?? defaults[name] ?? []
    const parameters = new URLSearchParams(endpoint.parameters)
    const add = (name: string, value: string | undefined) => {
      if (value !== undefined) parameters.append(name, value)
    }
    add('subject_token', subjectToken)
    add('subject_token_type', single('subjectTokenType') ?? accessTokenType)
    if (actorToken !== undefined) {
      add('actor_token', actorToken)
      add('actor_token_type', single('actorTokenType') ?? accessTokenType)
    }
    for (const audience of list('audience')) add('audience', audience)
    for (const resource of list('resource')) add('resource', resource)
    add('scope', callScope(context.scope) ?? scope)
    add('requested_token_type', single('requestedTokenType'))

    return requestTokens(
      endpoint,
      {
        send: (server, requestOptions) =>
          oauth.genericTokenEndpointRequest(
            server,
            endpoint.client,
            endpoint.clientAuthentication,
            grantType,
            parameters,
            requestOptions,
          ),
        process: (server, response) =>
          oauth.processGenericTokenEndpointResponse(server, endpoint.client, response, {
            // A token that is not an access token (an ID token, a JWT, a SAML assertion) comes as `N_A`.
            recognizedTokenTypes: { n_a: () => {} },
          }),
        secrets: actorToken === undefined ? [subjectToken] : [subjectToken, actorToken],
        invalidGrantEndsSession: true,
      },
      context.signal,
      context.dpop,
    )
  }
}

function tokenSource(
  value: unknown,
  name: 'subjectToken' | 'actorToken',
): (() => Promise<string>) | undefined {
  if (value === undefined) return undefined
  if (typeof value === 'function') {
    return async () => {
      const token = await (value as () => unknown)()
      if (typeof token !== 'string' || token.trim() === '') {
        throw new TypeError(`Expected the \`${name}\` function to return a non-empty string`)
      }
      return token
    }
  }
  const token = callString(value, name)
  return async () => token as string
}
