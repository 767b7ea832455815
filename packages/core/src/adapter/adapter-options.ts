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
  /**
   * Tells whether a response means the access token was rejected, which a refresh and a replay answer. Default: the
   * status is 401 and its `WWW-Authenticate` challenge does not say `insufficient_scope` (a 403 never refreshes).
   */
  isUnauthorized?: (response: TResponse) => boolean
}

/** Adapter options checked, with the origin list turned into a test. */
export interface ResolvedAdapterOptions<TResponse> {
  /** Undefined when every origin is allowed, so that the common case costs no URL parsing. */
  isAllowedUrl: ((url: string) => boolean) | undefined
  /** The caller's own predicate; undefined for the default. */
  isUnauthorized: ((response: TResponse) => boolean) | undefined
}

const knownOptions = new Set(['origins', 'isUnauthorized'])

/** Checks the refresher and the options an adapter was given; misuse throws a `TypeError` naming it. */
export function resolveAdapterOptions<TResponse>(
  refresher: TokenRefresher,
  options: TokenRefreshAdapterOptions<TResponse> | undefined,
): ResolvedAdapterOptions<TResponse> {
  if (!hasMethods(refresher, ['getAccessToken', 'refreshAfterUnauthorized', 'getTokens'])) {
    throw new TypeError('Expected `refresher` to be a TokenRefresher from `createTokenRefresher`')
  }
  if (options === undefined) return { isAllowedUrl: undefined, isUnauthorized: undefined }
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('Expected `options` to be an object')
  }
  rejectUnknownOptions(options, knownOptions)
  const { isUnauthorized } = options
  if (isUnauthorized !== undefined && typeof isUnauthorized !== 'function') {
    throw new TypeError('Expected `isUnauthorized` to be a function')
  }
  return { isAllowedUrl: createOriginFilter(options.origins), isUnauthorized }
}
