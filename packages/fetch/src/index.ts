import type { TokenRefresher, WaitOptions } from '@tokenflight/core'
import {
  authorizationFor,
  discardBody,
  isRefreshSignal,
  isReplayableBody,
  resolveAdapterOptions,
  type TokenRefreshAdapterOptions,
} from '@tokenflight/core/adapter'

declare global {
  interface RequestInit {
    /**
     * `false` sends the request as it is, read by `@tokenflight/fetch`: no access token is added and a 401 is not
     * answered with a refresh. Default `true`.
     */
    tokenRefresh?: boolean
  }
}

/** Options of {@link withTokenRefresh}; `isUnauthorized` must not read the response body, which the caller gets. */
export interface WithTokenRefreshOptions extends TokenRefreshAdapterOptions<Response> {}

/**
 * Wraps `fetch` so that each request carries a fresh access token and a 401 is answered with one refresh and one
 * replay; the result has fetch's exact type, for anything that takes a `fetch`.
 *
 * @example
 * const apiFetch = withTokenRefresh(fetch, refresher, { origins: ['https://api.example.com'] })
 * const response = await apiFetch('https://api.example.com/me')
 */
export function withTokenRefresh(
  fetch: typeof globalThis.fetch,
  refresher: TokenRefresher,
  options?: WithTokenRefreshOptions,
): typeof globalThis.fetch {
  if (typeof fetch !== 'function') throw new TypeError('Expected `fetch` to be a function')
  const { isAllowedUrl, isUnauthorized } = resolveAdapterOptions(refresher, options)

  return async function fetchWithTokenRefresh(
    input: RequestInfo | URL,
    init?: RequestInit,
  ): Promise<Response> {
    const request = input instanceof Request ? input : undefined
    // As in `new Request(input, init)`, headers in `init` replace those of a Request.
    const headers = init?.headers ?? request?.headers
    const signal = init?.signal ?? request?.signal
    if (
      init?.tokenRefresh === false ||
      // The refresh function's own token request: waiting for a token would wait for itself.
      isRefreshSignal(signal) ||
      hasAuthorization(headers) ||
      (isAllowedUrl !== undefined && !isAllowedUrl(request?.url ?? String(input)))
    ) {
      return fetch(input, init)
    }
    const waitOptions: WaitOptions | undefined = signal ? { signal } : undefined
    const sentToken = await refresher.getAccessToken(waitOptions)
    // Sending a Request consumes its body stream, so a Request with a body is copied in case of a replay;
    // other bodies (strings, forms, blobs, buffers) can simply be sent again.
    const replayInput = request?.body != null && init?.body == null ? request.clone() : input
    const response = await fetch(input, {
      ...init,
      headers: withAuthorization(headers, authorizationFor(refresher, sentToken)),
    })
    if (!isUnauthorized(response)) return response

    let token: string
    try {
      token = await refresher.refreshAfterUnauthorized(sentToken, waitOptions)
    } catch (error) {
      discardBody(response)
      throw error
    }
    // A one-shot stream was used up by the first attempt. Rather than replay it empty, hand the 401 to the
    // caller: the token is fresh now, so sending a new stream will succeed.
    if (!isReplayableBody(init?.body)) return response
    discardBody(response)
    return fetch(replayInput, {
      ...init,
      headers: withAuthorization(headers, authorizationFor(refresher, token)),
    })
  }
}

type HeaderRecord = Record<string, string>

// The common call, `(url, { headers: { ... } })` or no headers at all, stays a plain object: a `Headers`
// object per request would cost more than the rest of the wrapper, and fetch copies it once more.
function isHeaderRecord(headers: HeadersInit): headers is HeaderRecord {
  return !(headers instanceof Headers) && !Array.isArray(headers)
}

function hasAuthorization(headers: HeadersInit | undefined): boolean {
  if (headers === undefined) return false
  if (!isHeaderRecord(headers)) return copyHeaders(headers).has('authorization')
  for (const name in headers) if (name.toLowerCase() === 'authorization') return true
  return false
}

// New headers rather than changed ones: the fetch underneath may still hold those of the first attempt.
function withAuthorization(headers: HeadersInit | undefined, authorization: string): HeadersInit {
  if (headers === undefined || isHeaderRecord(headers)) return { ...headers, authorization }
  const copy = copyHeaders(headers)
  copy.set('authorization', authorization)
  return copy
}

// Iterates rather than `new Headers(headers)`: under MSW's Node interceptor, which records raw headers, that copy
// of a Request's headers keeps only those its body added and loses the rest.
function copyHeaders(source: HeadersInit | undefined): Headers {
  return new Headers(source instanceof Headers ? [...source] : source)
}
