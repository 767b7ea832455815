import { hasMethods, rejectUnknownOptions } from '../option-checks.js'
import type { TokenRefresher } from '../token-refresher.js'
import { createOriginFilter, type OriginList } from './origin-filter.js'

/** Options every tokenflight adapter takes; `TResponse` is the response type of its HTTP client. */
export interface TokenRefreshAdapterOptions<TResponse> {
  /**
   * Origins whose requests get the access token, such as `['https://api.example.com']`; a request to any other origin
   * is sent as it is. Default: every origin, so set it whenever the client also calls third parties.
   */
  origins?: OriginList
  /** Tells whether a response means the access token was rejected. Default: the status is 401. */
  isUnauthorized?: (response: TResponse) => boolean
}

/** Adapter options checked and filled in with their defaults. */
export interface ResolvedAdapterOptions<TResponse> {
  /** Undefined when every origin is allowed, so that the common case costs no URL parsing. */
  isAllowedUrl: ((url: string) => boolean) | undefined
  isUnauthorized: (response: TResponse) => boolean
}

const knownOptions = new Set(['origins', 'isUnauthorized'])

/** The default `isUnauthorized`: the response has status 401. */
export function isUnauthorizedStatus(response: { status: number }): boolean {
  return response.status === 401
}

/**
 * Checks the refresher and the options an adapter was given and fills in defaults; misuse throws a `TypeError`
 * naming the argument or option.
 *
 * @example
 * const { isAllowedUrl, isUnauthorized } = resolveAdapterOptions<Response>(refresher, options)
 */
export function resolveAdapterOptions<TResponse extends { status: number }>(
  refresher: TokenRefresher,
  options: TokenRefreshAdapterOptions<TResponse> | undefined,
): ResolvedAdapterOptions<TResponse> {
  if (!hasMethods(refresher, ['getAccessToken', 'refreshAfterUnauthorized', 'getTokens'])) {
    throw new TypeError('Expected `refresher` to be a TokenRefresher from `createTokenRefresher`')
  }
  if (options === undefined)
    return { isAllowedUrl: undefined, isUnauthorized: isUnauthorizedStatus }
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('Expected `options` to be an object')
  }
  rejectUnknownOptions(options, knownOptions)
  const { isUnauthorized = isUnauthorizedStatus } = options
  if (typeof isUnauthorized !== 'function') {
    throw new TypeError('Expected `isUnauthorized` to be a function')
  }
  return { isAllowedUrl: createOriginFilter(options.origins), isUnauthorized }
}
