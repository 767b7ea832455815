import type { TokenRefresher } from '@tokenflight/core'
import {
  createAuthorizationPolicy,
  fetchResponseAccess,
  isRefreshSignal,
  isReplayableBody,
  type RequestCredentials,
  type SendOptions,
  type TokenRefreshAdapterOptions,
} from '@tokenflight/core/adapter'

// Shared by every copy of this package in one program, so that an init marked by one is recognized by another.
const optOutMarker = Symbol.for('@tokenflight/fetch.optOut')

/** An init marked by {@link withoutTokenRefresh}; the marker is a symbol, which fetch ignores. */
interface OptedOutInit extends RequestInit {
  [optOutMarker]?: true
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
  const policy = createAuthorizationPolicy(refresher, options, fetchResponseAccess)
  const { isAllowedUrl, usesDPoP } = policy

  // Not an async function: it returns the promise of `fetch` or of the policy as it is, rather than wrapping it
  // in one more promise that costs each request two more turns of the microtask queue.
  return function fetchWithTokenRefresh(
    input: RequestInfo | URL,
    init?: RequestInit,
  ): Promise<Response> {
    try {
      const request = input instanceof Request ? input : undefined
      // As in `new Request(input, init)`, headers in `init` replace those of a Request.
      const headers = init?.headers ?? request?.headers
      const signal = init?.signal ?? request?.signal
      if (
        (init as OptedOutInit | undefined)?.[optOutMarker] === true ||
        // The refresh function's own token request: waiting for a token would wait for itself.
        isRefreshSignal(signal) ||
        hasAuthorization(headers) ||
        (isAllowedUrl !== undefined && !isAllowedUrl(request?.url ?? String(input)))
      ) {
        return fetch(input, init)
      }
      // Sending a Request consumes its body stream, so a Request with a body is copied in case of a replay, and
      // each further attempt sends a copy of that copy; other bodies (strings, forms, blobs, buffers) can simply be
      // sent again.
      const replaySource = request?.body != null && init?.body == null ? request.clone() : undefined
      return policy.send(
        (credentials: RequestCredentials) =>
          fetch(
            credentials.isReplay || credentials.isNonceRetry
              ? (replaySource?.clone() ?? input)
              : input,
            {
              ...init,
              headers: withCredentials(headers, credentials),
            },
          ),
        // The common request, with neither a signal nor a body, needs no options; a DPoP proof needs the request.
        signal == null && init?.body == null && !usesDPoP
          ? undefined
          : sendOptionsOf(input, init, request, signal, usesDPoP),
      )
    } catch (error) {
      // As fetch does, a call that cannot be made rejects rather than throws.
      return Promise.reject(error)
    }
  }
}

function sendOptionsOf(
  input: RequestInfo | URL,
  init: RequestInit | undefined,
  request: Request | undefined,
  signal: AbortSignal | null | undefined,
  usesDPoP: boolean,
): SendOptions {
  const options: SendOptions = { signal, replayable: isReplayableBody(init?.body) }
  if (usesDPoP) {
    options.request = {
      method: init?.method ?? request?.method ?? 'GET',
      url: request?.url ?? String(input),
    }
  }
  return options
}

/**
 * Marks a request's init so that the function {@link withTokenRefresh} returns sends it as it is: no access token
 * is added and a 401 is not answered with a refresh. Returns a new init; fetch itself ignores the mark.
 *
 * @example
 * await apiFetch('https://api.example.com/health', withoutTokenRefresh({ method: 'HEAD' }))
 */
export function withoutTokenRefresh(init?: RequestInit): RequestInit {
  const marked: OptedOutInit = { ...init, [optOutMarker]: true }
  return marked
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
function withCredentials(
  headers: HeadersInit | undefined,
  credentials: RequestCredentials,
): HeadersInit {
  // A copy of the credentials' headers alone is the cheapest object to build, and the most common call.
  if (headers === undefined) return { ...credentials.headers }
  if (isHeaderRecord(headers)) return { ...headers, ...credentials.headers }
  const copy = copyHeaders(headers)
  for (const [name, value] of Object.entries(credentials.headers)) copy.set(name, value)
  return copy
}

// Iterates rather than `new Headers(headers)`: under MSW's Node interceptor, which records raw headers, that copy
// of a Request's headers keeps only those its body added and loses the rest.
function copyHeaders(source: HeadersInit | undefined): Headers {
  return new Headers(source instanceof Headers ? [...source] : source)
}
