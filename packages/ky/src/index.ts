import { TokenRefreshError, type TokenRefresher } from '@tokenflight/core'
import {
  authorizationFor,
  discardBody,
  isRefreshSignal,
  isReplayableBody,
  isUnauthorizedStatus,
  resolveAdapterOptions,
  type TokenRefreshAdapterOptions,
} from '@tokenflight/core/adapter'

/**
 * Options of {@link tokenRefreshHooks}; `isUnauthorized` gets ky's copy of the response and may read it. A request
 * opts out with `context: { tokenRefresh: false }`.
 */
export interface TokenRefreshHooksOptions extends TokenRefreshAdapterOptions<Response> {}

/** ky's `fetch` option: ky 2 passes the options it does not know itself as a second argument. */
type KyFetch = (request: Request, fetchOptions?: RequestInit) => Promise<Response>

/** What the hooks read of ky's options; ky 2 hands hooks no `fetch`, ky 1 does. */
interface KyOptions {
  context?: Record<string, unknown>
  signal?: unknown
  body?: unknown
  retry?: unknown
  fetch?: KyFetch
  hooks?: { afterResponse?: unknown[] }
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
  beforeRequest: Array<(state: KyState | Request, options?: KyOptions) => Promise<void> | undefined>
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
  // A predicate of the caller's own may read the body, so it gets a copy, as ky's hooks get one.
  const isUnauthorizedResponse =
    isUnauthorized === isUnauthorizedStatus
      ? isUnauthorized
      : (response: Response) => isUnauthorized(response.clone())
  // Keyed by the `context` object, which ky creates for each call and hands to every hook of that call.
  const sentTokens = new WeakMap<object, string>()

  // ky 2: a 401 is answered inside ky's `fetch` option, under ky's timeout and with the options ky passes
  // to fetch. An `afterResponse` hook would make ky clone every response, 401 or not, only to show it one.
  function answeringUnauthorized(send: KyFetch, context: object, copyBody: boolean): KyFetch {
    let replayedWith: string | undefined
    return async (request, fetchOptions) => {
      const sentToken = sentTokens.get(context)
      if (sentToken === undefined) return send(request, fetchOptions)
      // ky sends its retries from a copy made before the replay: give them the replay's token.
      if (replayedWith !== undefined)
        request.headers.set('authorization', authorizationFor(refresher, replayedWith))
      // Sending reads the body once. It is copied unless it is a one-shot stream and ky, which copies
      // requests for its retries, has none to make (`retry: 0`): then copying would buffer the stream.
      const copy = request.body !== null && copyBody ? request.clone() : undefined
      const response = await send(request, fetchOptions)
      if (!isUnauthorizedResponse(response) || replayedWith !== undefined) return response
      let token: string
      try {
        token = await refresher.refreshAfterUnauthorized(sentToken, { signal: request.signal })
      } catch (error) {
        discardBody(response)
        throw error
      }
      // A stream that was not copied is used up: the 401 goes on to the caller, whose next request gets the
      // fresh token, rather than a replay with an empty body.
      if (request.body !== null && copy === undefined) return response
      discardBody(response)
      replayedWith = token
      sentTokens.set(context, token)
      const replay = copy ?? request
      replay.headers.set('authorization', authorizationFor(refresher, token))
      return send(replay, fetchOptions)
    }
  }

  const answerUnauthorizedAfterResponse: TokenRefreshHooks['afterResponse'][number] = async (
    first,
    secondArgument,
    thirdArgument,
  ) => {
    const { request, options: kyOptions, response } = stateOf(first, secondArgument, thirdArgument)
    const context = kyOptions.context
    const sentToken = context === undefined ? undefined : sentTokens.get(context)
    if (context === undefined || sentToken === undefined || response === undefined) return undefined
    if (!isUnauthorized(response)) return undefined
    const token = await refresher.refreshAfterUnauthorized(sentToken, { signal: request.signal })
    // On ky's own request, so that a retry ky makes after the replay carries the new token too.
    request.headers.set('authorization', authorizationFor(refresher, token))
    sentTokens.set(context, token)
    const replay = replayRequest(request, kyOptions.body)
    // A one-shot stream that ky kept no copy of is used up: the 401 goes on to the caller, whose next
    // request gets the fresh token, rather than a replay with an empty body.
    if (replay === undefined) return undefined
    return (kyOptions.fetch ?? globalThis.fetch.bind(globalThis))(replay)
  }

  return {
    init: [
      (kyOptions) => {
        // Only ky 2 runs init hooks. Here the caller's signal is still its own (ky 1 combines it with its
        // own before any hook): a request carrying the refresh function's signal is that refresh's token
        // request, and waiting for a token would wait for itself.
        if (isRefreshSignal(kyOptions.signal)) {
          kyOptions.context = { ...kyOptions.context, tokenRefresh: false }
        }
        // ky hands init hooks a copy of the options for this call only, so these changes stay with it.
        kyOptions.context ??= {}
        kyOptions.fetch = answeringUnauthorized(
          kyOptions.fetch ?? globalThis.fetch.bind(globalThis),
          kyOptions.context,
          isReplayableBody(kyOptions.body) || !hasNoRetries(kyOptions.retry),
        )
        kyOptions.hooks = {
          ...kyOptions.hooks,
          afterResponse: (kyOptions.hooks?.afterResponse ?? []).filter(
            (hook) => hook !== answerUnauthorizedAfterResponse,
          ),
        }
      },
    ],
    beforeRequest: [
      // Not an async function: a request waiting here for a refresh then holds no suspended frame.
      (first, secondArgument) => {
        const { request, options: kyOptions } = stateOf(first, secondArgument)
        const { context } = kyOptions
        if (context === undefined || context.tokenRefresh === false) return undefined
        // ky 1 runs this hook again before each retry, on a request that carries the header it set before.
        if (!sentTokens.has(context) && request.headers.has('authorization')) return undefined
        if (isAllowedUrl !== undefined && !isAllowedUrl(request.url)) return undefined
        return refresher.getAccessToken({ signal: request.signal }).then((token) => {
          request.headers.set('authorization', authorizationFor(refresher, token))
          sentTokens.set(context, token)
        })
      },
    ],
    // ky 1, which has no init hooks, answers 401s here.
    afterResponse: [answerUnauthorizedAfterResponse],
    beforeRetry: [
      ({ error }) => {
        // A failed refresh is final for this request: core decides when to try again, not ky's retry loop.
        if (error instanceof TokenRefreshError) throw error
      },
    ],
  }
}

function hasNoRetries(retry: unknown): boolean {
  return (
    retry === 0 ||
    (typeof retry === 'object' && retry !== null && (retry as { limit?: unknown }).limit === 0)
  )
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
