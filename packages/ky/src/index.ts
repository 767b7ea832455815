import { TokenRefreshError, type TokenRefresher } from '@tokenflight/core'
import {
  type AuthorizeOptions,
  createAuthorizationPolicy,
  fetchResponseAccess,
  isRefreshSignal,
  isReplayableBody,
  type RequestCredentials,
  type TokenRefreshAdapterOptions,
} from '@tokenflight/core/adapter'

/**
 * Options of {@link tokenRefreshHooks}; `isUnauthorized` gets ky's copy of the response and may read it. A request
 * opts out with `context: { tokenRefresh: false }`.
 */
export interface TokenRefreshHooksOptions extends TokenRefreshAdapterOptions<Response> {}

/** ky's `fetch` option: ky 2 passes the options it does not know itself as a second argument. */
type KyFetch = (request: Request, fetchOptions?: RequestInit) => Promise<Response>

/** What the hooks read of ky's options, in ky 1 and ky 2 alike; ky 2 hands hooks no `fetch`, ky 1 does. */
export interface KyHookOptions {
  context?: Record<string, unknown>
  signal?: unknown
  body?: unknown
  retry?: unknown
  fetch?: (request: Request, fetchOptions?: RequestInit) => Promise<Response>
  hooks?: { init?: readonly unknown[]; afterResponse?: readonly unknown[] }
}

/** What a hook gets: ky 2 passes one state object, ky 1 passes the request and the options as arguments. */
export interface KyHookState {
  request: Request
  options: KyHookOptions
  response?: Response
}

/** The hooks for `ky.create({ hooks })` or `ky.extend({ hooks })`, for ky 1.14+ and ky 2. */
export interface TokenRefreshHooks {
  init: Array<(options: KyHookOptions) => void>
  beforeRequest: Array<
    (state: KyHookState | Request, options?: KyHookOptions) => Promise<void> | undefined
  >
  afterResponse: Array<
    (
      state: KyHookState | Request,
      options?: KyHookOptions,
      response?: Response,
    ) => Promise<Response | undefined> | undefined
  >
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
  const policy = createAuthorizationPolicy(refresher, readingCopies(options), fetchResponseAccess)
  const { isAllowedUrl, usesDPoP } = policy
  // Keyed by the `context` object, which ky creates for each call and hands to every hook of that call.
  const sentCredentials = new WeakMap<object, RequestCredentials>()

  // ky 2: a 401 is answered inside ky's `fetch` option, under ky's timeout and with the options ky passes
  // to fetch. An `afterResponse` hook would make ky clone every response, 401 or not, only to show it one.
  function sendAnswering(
    send: KyFetch,
    context: object,
    copyBody: boolean,
    request: Request,
    fetchOptions: RequestInit | undefined,
    sent: RequestCredentials,
  ): Promise<Response> {
    // Sending reads the body once. It is copied unless it is a one-shot stream and ky, which copies
    // requests for its retries, has none to make (`retry: 0`): then copying would buffer the stream.
    const copy = request.body !== null && copyBody ? request.clone() : undefined
    return policy.send(
      (credentials) => {
        if (credentials === sent) return send(request, fetchOptions)
        sentCredentials.set(context, credentials)
        // A copy of the copy: a DPoP nonce retry and a replay after a refresh may both need the body.
        const replay = copy === undefined ? request : copy.clone()
        setCredentials(replay.headers, credentials)
        return send(replay, fetchOptions)
      },
      {
        credentials: sent,
        signal: request.signal,
        // A stream that was not copied is used up: its 401 goes to the caller, whose next request gets the
        // fresh token, rather than a replay with an empty body.
        replayable: request.body === null || copy !== undefined,
      },
    )
  }

  function answeringUnauthorized(send: KyFetch, context: object, copyBody: boolean): KyFetch {
    let attempts = 0
    // Not an async function, so that the common request costs no extra promise; ky awaits what it returns.
    return (request, fetchOptions) => {
      const sent = sentCredentials.get(context)
      if (sent === undefined) return send(request, fetchOptions)
      if (attempts++ === 0) {
        return sendAnswering(send, context, copyBody, request, fetchOptions, sent)
      }
      // ky sends its retries (after a 503, say) from a copy it made before the first attempt: each one gets
      // the current token, as a new request would, rather than the one the first attempt carried.
      return policy.authorize(authorizeOptions(request, sent)).then((renewed) => {
        setCredentials(request.headers, renewed)
        sentCredentials.set(context, renewed)
        return sendAnswering(send, context, copyBody, request, fetchOptions, renewed)
      })
    }
  }

  const answerUnauthorizedAfterResponse: TokenRefreshHooks['afterResponse'][number] = (
    first,
    secondArgument,
    thirdArgument,
  ) => {
    const { request, options: kyOptions, response } = stateOf(first, secondArgument, thirdArgument)
    const context = kyOptions.context
    const sent = context === undefined ? undefined : sentCredentials.get(context)
    if (context === undefined || sent === undefined || response === undefined) return undefined
    if (usesDPoP) policy.learnNonce(sent, response)
    if (!policy.isUnauthorized(response)) return undefined
    const replayOptions = { signal: request.signal, replayable: canReplay(request, kyOptions.body) }
    // A DPoP nonce retry may still meet a rejected token, and the replay after a refresh a new nonce: each attempt
    // is answered in turn, within the bounds the policy sets.
    const replay = async (credentials: RequestCredentials): Promise<Response> => {
      // On ky's own request, so that a retry ky makes after the replay carries the new token too.
      setCredentials(request.headers, credentials)
      sentCredentials.set(context, credentials)
      const replayed = await (kyOptions.fetch ?? globalThis.fetch.bind(globalThis))(
        replayRequest(request, kyOptions.body),
      )
      if (!usesDPoP) return replayed
      policy.learnNonce(credentials, replayed)
      if (!policy.isUnauthorized(replayed)) return replayed
      return (
        (await policy.replayAfterUnauthorized(credentials, replayed, replay, replayOptions)) ??
        replayed
      )
    }
    return policy
      .replayAfterUnauthorized(sent, response, replay, replayOptions)
      .catch((error: unknown) => failAtOnce(kyOptions, error))
  }

  // A DPoP proof covers the request's method and URL.
  function authorizeOptions(
    request: Request,
    previous: RequestCredentials | undefined,
  ): AuthorizeOptions {
    return {
      signal: request.signal,
      previous,
      request: usesDPoP ? { method: request.method, url: request.url } : undefined,
    }
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
        // ky hands init hooks a copy of the options for this call only, so these changes stay with it; the `hooks`
        // object in it is the call's own too, but is replaced rather than changed, in case a ky shares it.
        kyOptions.context ??= {}
        kyOptions.fetch = answeringUnauthorized(
          kyOptions.fetch ?? callGlobalFetch,
          kyOptions.context,
          isReplayableBody(kyOptions.body) || !hasNoRetries(kyOptions.retry),
        )
        const hooks = kyOptions.hooks
        // ky copies each list of hooks that is not empty for each call, into the options it hands this hook and
        // again into its own, some 150 bytes a copy, kept as long as the call lasts. Our init and afterResponse
        // hooks are done with for this call: without them, their lists cost nothing. The init hooks after this
        // one still run, from the list ky read before calling the first.
        kyOptions.hooks = {
          ...hooks,
          init: noHooks,
          afterResponse: without(hooks?.afterResponse, answerUnauthorizedAfterResponse),
        }
        failingRefreshesAtOnce(kyOptions)
      },
    ],
    beforeRequest: [
      // Not an async function: a request waiting here for a refresh then holds no suspended frame.
      (first, secondArgument) => {
        const { request, options: kyOptions } = stateOf(first, secondArgument)
        const { context } = kyOptions
        if (context === undefined || context.tokenRefresh === false) return undefined
        const previous = sentCredentials.get(context)
        // ky 1 runs this hook again before each retry, on a request that carries the header it set before.
        if (previous === undefined && request.headers.has('authorization')) return undefined
        if (isAllowedUrl !== undefined && !isAllowedUrl(request.url)) return undefined
        return policy.authorize(authorizeOptions(request, previous)).then(
          (credentials) => {
            setCredentials(request.headers, credentials)
            sentCredentials.set(context, credentials)
          },
          (error: unknown) => failAtOnce(kyOptions, error),
        )
      },
    ],
    // ky 1, which has no init hooks, answers 401s here.
    afterResponse: [answerUnauthorizedAfterResponse],
  }
}

/**
 * A failed refresh is final for the request: core decides when to try again, not ky's retry loop. ky 2 retries
 * only network errors, timeouts and HTTP errors, unless the caller's `shouldRetry` says yes to an error: then it
 * is told no for ours, before ky waits its back-off.
 */
function failingRefreshesAtOnce(kyOptions: KyHookOptions): void {
  const { retry } = kyOptions
  if (typeof retry !== 'object' || retry === null) return
  const { shouldRetry } = retry as { shouldRetry?: unknown }
  if (typeof shouldRetry !== 'function') return
  // ky hands init hooks a copy of the `retry` options too, so the wrapper stays with this call.
  const callRetry = retry as { shouldRetry: (state: { error: unknown }) => unknown }
  callRetry.shouldRetry = (state) =>
    state.error instanceof TokenRefreshError ? false : shouldRetry(state)
}

/**
 * Rethrows a failed refresh so that the request fails now. ky 1 retries an error a hook throws, and waits its
 * back-off (300 ms at first) before a `beforeRetry` hook could stop it; spending this call's retry budget (ky 1
 * hands hooks its options for this call) makes it fail at once. ky 2 does not retry what its hooks throw.
 */
function failAtOnce(kyOptions: KyHookOptions, error: unknown): never {
  const { retry } = kyOptions
  if (typeof retry === 'object' && retry !== null && !Object.isFrozen(retry)) {
    ;(retry as { limit?: number }).limit = 0
  }
  throw error
}

// An empty list of hooks, shared: ky copies the lists it is given and changes only its copies.
const noHooks: readonly never[] = Object.freeze([])

function without(hooks: readonly unknown[] | undefined, hook: unknown): readonly unknown[] {
  if (hooks === undefined || (hooks.length === 1 && hooks[0] === hook)) return noHooks
  return hooks.includes(hook) ? hooks.filter((other) => other !== hook) : hooks
}

// One function for every call without a `fetch` option, rather than `fetch` bound anew for each call, which a
// request waiting for a refresh would hold (some 60 bytes).
const callGlobalFetch: KyFetch = (request, fetchOptions) => globalThis.fetch(request, fetchOptions)

// ky shows a custom `isUnauthorized` a copy of the response, as ky's own hooks get one, so that reading its body
// leaves the caller's intact.
function readingCopies(
  options: TokenRefreshHooksOptions | undefined,
): TokenRefreshHooksOptions | undefined {
  const isUnauthorized = options?.isUnauthorized
  if (typeof isUnauthorized !== 'function') return options
  return { ...options, isUnauthorized: (response) => isUnauthorized(response.clone()) }
}

function setCredentials(headers: Headers, credentials: RequestCredentials): void {
  for (const name in credentials.headers) headers.set(name, credentials.headers[name] as string)
}

function hasNoRetries(retry: unknown): boolean {
  return (
    retry === 0 ||
    (typeof retry === 'object' && retry !== null && (retry as { limit?: unknown }).limit === 0)
  )
}

function stateOf(
  first: KyHookState | Request,
  options?: KyHookOptions,
  response?: Response,
): KyHookState {
  if ('request' in first) return first
  return response === undefined
    ? { request: first, options: options ?? {} }
    : { request: first, options: options ?? {}, response }
}

// With retries on, ky sends a copy and keeps this request unread; with `retry: 0` it keeps no copy, but the body
// ky built the request from can be sent again, unless it is a one-shot stream.
function canReplay(request: Request, body: unknown): boolean {
  return !request.bodyUsed || (body !== undefined && body !== null && isReplayableBody(body))
}

function replayRequest(request: Request, body: unknown): Request {
  if (!request.bodyUsed) return request.clone()
  const headers = new Headers([...request.headers])
  // A form body is encoded again with a new multipart boundary, which the old Content-Type would contradict.
  if (body instanceof FormData) headers.delete('content-type')
  return new Request(request, { body: body as BodyInit, headers })
}
