import { TokenRefreshError, type TokenRefresher } from '@tokenflight/core'
import {
  authorizationFor,
  isRefreshSignal,
  isReplayableBody,
  resolveAdapterOptions,
  type TokenRefreshAdapterOptions,
} from '@tokenflight/core/adapter'

/**
 * Options of {@link tokenRefreshHooks}; `isUnauthorized` gets ky's copy of the response and may read it. A request
 * opts out with `context: { tokenRefresh: false }`.
 */
export interface TokenRefreshHooksOptions extends TokenRefreshAdapterOptions<Response> {}

/** What the hooks read of ky's options; ky 2 hands hooks no `fetch`, ky 1 does. */
interface KyOptions {
  context?: Record<string, unknown>
  signal?: unknown
  body?: unknown
  fetch?: (request: Request) => Promise<Response>
}

/** ky 2 passes hooks one state object, ky 1 passes the request and the options as arguments. */
interface KyState {
  request: Request
  options: KyOptions
  response?: Response
}

/** The hooks for `ky.create({ hooks })` or `ky.extend({ hooks })`, for ky 1.14+ and ky 2. */
export interface TokenRefreshHooks {
  init: Array<(options: KyOptions) => void>
  beforeRequest: Array<(state: KyState | Request, options?: KyOptions) => Promise<void>>
  afterResponse: Array<
    (
      state: KyState | Request,
      options?: KyOptions,
      response?: Response,
    ) => Promise<Response | undefined>
  >
  beforeRetry: Array<(state: { error: unknown }) => void>
}

/**
 * Creates ky hooks that put a fresh access token on each request and answer a 401 with one refresh and one replay,
 * sent outside ky's retries so that it costs none of the retry budget and works with `retry: 0`.
 *
 * @example
 * const api = ky.create({
 *   prefix: 'https://api.example.com',
 *   hooks: tokenRefreshHooks(refresher, { origins: ['https://api.example.com'] }),
 * })
 */
export function tokenRefreshHooks(
  refresher: TokenRefresher,
  options?: TokenRefreshHooksOptions,
): TokenRefreshHooks {
  const { isAllowedUrl, isUnauthorized } = resolveAdapterOptions(refresher, options)
  // Keyed by the `context` object, which ky creates for each call and hands to every hook of that call.
  const sentTokens = new WeakMap<object, string>()
  const customFetches = new WeakMap<object, (request: Request) => Promise<Response>>()

  return {
    init: [
      (kyOptions) => {
        // Only ky 2 runs init hooks, where the caller's signal is still its own (ky 1 combines it with its
        // own before any hook): a request carrying the refresh function's signal is that refresh's token
        // request, and waiting for a token would wait for itself.
        if (isRefreshSignal(kyOptions.signal)) {
          kyOptions.context = { ...kyOptions.context, tokenRefresh: false }
        }
        // ky 2 also keeps the `fetch` option from later hooks: note it for the replay.
        if (kyOptions.fetch === undefined) return
        kyOptions.context ??= {}
        customFetches.set(kyOptions.context, kyOptions.fetch)
      },
    ],
    beforeRequest: [
      async (first, secondArgument) => {
        const { request, options: kyOptions } = stateOf(first, secondArgument)
        const { context } = kyOptions
        if (context === undefined || context.tokenRefresh === false) return
        // ky 1 runs this hook again before each retry, on a request that carries the header it set before.
        if (!sentTokens.has(context) && request.headers.has('authorization')) return
        if (isAllowedUrl !== undefined && !isAllowedUrl(request.url)) return
        const token = await refresher.getAccessToken({ signal: request.signal })
        request.headers.set('authorization', authorizationFor(refresher, token))
        sentTokens.set(context, token)
      },
    ],
    afterResponse: [
      async (first, secondArgument, thirdArgument) => {
        const {
          request,
          options: kyOptions,
          response,
        } = stateOf(first, secondArgument, thirdArgument)
        const context = kyOptions.context
        const sentToken = context === undefined ? undefined : sentTokens.get(context)
        if (context === undefined || sentToken === undefined || response === undefined) return
        if (!isUnauthorized(response)) return
        const token = await refresher.refreshAfterUnauthorized(sentToken, {
          signal: request.signal,
        })
        // On ky's own request, so that a retry ky makes after the replay carries the new token too.
        request.headers.set('authorization', authorizationFor(refresher, token))
        sentTokens.set(context, token)
        const replay = replayRequest(request, kyOptions.body)
        // A one-shot stream that ky kept no copy of is used up: the 401 goes on to the caller, whose next
        // request gets the fresh token, rather than a replay with an empty body.
        if (replay === undefined) return undefined
        const fetch =
          kyOptions.fetch ?? customFetches.get(context) ?? globalThis.fetch.bind(globalThis)
        return fetch(replay)
      },
    ],
    beforeRetry: [
      ({ error }) => {
        // A failed refresh is final for this request: core decides when to try again, not ky's retry loop.
        if (error instanceof TokenRefreshError) throw error
      },
    ],
  }
}

function stateOf(first: KyState | Request, options?: KyOptions, response?: Response): KyState {
  if ('request' in first) return first
  return response === undefined
    ? { request: first, options: options ?? {} }
    : { request: first, options: options ?? {}, response }
}

function replayRequest(request: Request, body: unknown): Request | undefined {
  // With retries on, ky sends a copy and keeps this request unread; send a copy of it in turn.
  if (!request.bodyUsed) return request.clone()
  // With `retry: 0` ky keeps no copy, but the body ky built the request from can be sent again.
  if (body === undefined || body === null || !isReplayableBody(body)) return undefined
  const headers = new Headers([...request.headers])
  // A form body is encoded again with a new multipart boundary, which the old Content-Type would contradict.
  if (body instanceof FormData) headers.delete('content-type')
  return new Request(request, { body: body as BodyInit, headers })
}
