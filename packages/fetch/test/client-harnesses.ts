// The contract run against clients that take a custom fetch: openapi-fetch (`createClient({ fetch })`), ofetch
// (`createFetch({ fetch })`) and wretch (`.fetchPolyfill(fetch)`), each given `withTokenRefresh(fetch, ...)`. None of
// them can replay a request from its own middleware; through its fetch, the wrapper replays it.
import {
  type AdapterHarness,
  type ContractOutcome,
  type ContractRequest,
  isAbortError,
  readOutcome,
} from '@tokenflight/adapter-contract'
import { createFetch, FetchError, type FetchOptions } from 'ofetch'
import createClient from 'openapi-fetch'
import pRetry from 'p-retry'
import wretch, { type Wretch } from 'wretch'
import { retry } from 'wretch/middlewares'
import { withoutTokenRefresh, withTokenRefresh } from '../src/index.js'

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH'

/** openapi-fetch with `fetch: withTokenRefresh(fetch, refresher)`; it sends a `Request`, whose body the wrapper copies. */
export const openapiFetchHarness: AdapterHarness = {
  name: 'openapi-fetch, createClient({ fetch })',
  httpErrors: 'resolve',
  streamBodies: 'replayed',
  // The wrapper gets a Request, whose signal follows the caller's rather than being it.
  recognizesRefreshSignal: false,
  isAbortError,
  createClient(refresher, options) {
    const client = createClient({ fetch: withTokenRefresh(fetch, refresher, options) })
    return { send: (request) => sendWithOpenapiFetch(client, request) }
  },
  createRetryingClient(refresher, beforeRetry) {
    const client = createClient({ fetch: withTokenRefresh(fetch, refresher) })
    return {
      send: (request) =>
        pRetry(
          async () => {
            const outcome = await sendWithOpenapiFetch(client, request)
            if (outcome.status === 503) throw new Error('Service unavailable')
            return outcome
          },
          { retries: 1, minTimeout: 0, maxTimeout: 0, onFailedAttempt: beforeRetry },
        ),
    }
  },
}

async function sendWithOpenapiFetch(
  // biome-ignore lint/suspicious/noExplicitAny: the contract calls arbitrary URLs, not the paths of a typed schema
  client: ReturnType<typeof createClient<any>>,
  request: ContractRequest,
): Promise<ContractOutcome> {
  const init: Record<string, unknown> = {}
  let headers = request.headers
  if (request.signal !== undefined) init.signal = request.signal
  const { body } = request
  if (body !== undefined) {
    init.body = body.value
    // openapi-fetch labels every body but a FormData as JSON unless told otherwise, and encodes a form itself
    // when told it is one; any other body is sent as it is.
    if (body.kind === 'url-search-params') {
      headers = { ...headers, 'Content-Type': 'application/x-www-form-urlencoded' }
    } else if (body.kind !== 'json') {
      init.bodySerializer = (value: unknown) => value
    }
    if (body.kind === 'stream') init.duplex = 'half'
  }
  if (headers !== undefined) init.headers = headers
  // A request opts out with the plain fetch, which openapi-fetch takes per request.
  if (request.optOut) init.fetch = fetch
  const method = (request.method ?? 'GET') as Method
  const result = await client.request(method.toLowerCase() as 'get', request.url as never, init)
  const { response } = result
  return {
    status: response.status,
    body: 'data' in result && result.data !== undefined ? result.data : result.error,
    httpError: false,
    wwwAuthenticate: response.headers.get('www-authenticate'),
  }
}

/** ofetch with `createFetch({ fetch: withTokenRefresh(fetch, refresher) })`; it sends a URL and an init. */
export const ofetchHarness: AdapterHarness = {
  name: 'ofetch, createFetch({ fetch })',
  httpErrors: 'reject',
  streamBodies: 'not-replayed',
  recognizesRefreshSignal: true,
  isAbortError,
  createClient(refresher, options) {
    const api = createFetch({ fetch: withTokenRefresh(fetch, refresher, options) })
    return { send: (request) => sendWithOfetch(api, request, {}) }
  },
  createRetryingClient(refresher, beforeRetry) {
    const api = createFetch({ fetch: withTokenRefresh(fetch, refresher) })
    return {
      send: (request) =>
        sendWithOfetch(api, request, {
          retry: 1,
          retryDelay: 0,
          retryStatusCodes: [503],
          onResponseError: ({ response }) => {
            if (response.status === 503) beforeRetry()
          },
        }),
    }
  },
}

async function sendWithOfetch(
  api: ReturnType<typeof createFetch>,
  request: ContractRequest,
  extra: FetchOptions,
): Promise<ContractOutcome> {
  const init: FetchOptions = { method: request.method ?? 'GET', ...extra }
  if (request.headers !== undefined) init.headers = request.headers
  if (request.signal !== undefined) init.signal = request.signal
  // ofetch writes a plain object as JSON, and sends forms, blobs, buffers and streams as they are.
  if (request.body !== undefined) init.body = request.body.value as FetchOptions['body']
  try {
    const response = await api.raw(
      request.url,
      request.optOut ? (withoutTokenRefresh(init as RequestInit) as FetchOptions) : init,
    )
    return {
      status: response.status,
      body: response._data,
      httpError: false,
      wwwAuthenticate: response.headers.get('www-authenticate'),
    }
  } catch (error) {
    if (!(error instanceof FetchError)) throw error
    const { response } = error
    // A request that failed before any response: ofetch wraps what fetch threw (core's typed error, an abort).
    if (response === undefined) throw error.cause
    return {
      status: response.status,
      body: error.data,
      httpError: true,
      wwwAuthenticate: response.headers.get('www-authenticate'),
    }
  }
}

/** wretch with `.fetchPolyfill(withTokenRefresh(fetch, refresher))`; it sends a URL and an init. */
export const wretchHarness: AdapterHarness = {
  name: 'wretch, .fetchPolyfill(fetch)',
  httpErrors: 'reject',
  streamBodies: 'not-replayed',
  recognizesRefreshSignal: true,
  isAbortError,
  createClient(refresher, options) {
    const apiFetch = withTokenRefresh(fetch, refresher, options)
    return {
      send: (request) => sendWithWretch(wretch().fetchPolyfill(apiFetch), apiFetch, request),
    }
  },
  createRetryingClient(refresher, beforeRetry) {
    const apiFetch = withTokenRefresh(fetch, refresher)
    const api = wretch()
      .fetchPolyfill(apiFetch)
      .middlewares([
        retry({
          delayTimer: 0,
          maxAttempts: 1,
          until: (response) => response?.status !== 503,
          onRetry: () => beforeRetry(),
        }),
      ])
    return { send: (request) => sendWithWretch(api, apiFetch, request) }
  },
}

async function sendWithWretch(
  api: Wretch,
  apiFetch: typeof fetch,
  request: ContractRequest,
): Promise<ContractOutcome> {
  // A request opts out with the marked options it starts from, which wretch hands to fetch.
  let call = request.optOut
    ? wretch(request.url, withoutTokenRefresh()).fetchPolyfill(apiFetch)
    : api.url(request.url)
  if (request.headers !== undefined) call = call.headers(request.headers)
  if (request.signal !== undefined) call = call.options({ signal: request.signal })
  const { body } = request
  if (body !== undefined) {
    call = body.kind === 'json' ? call.json(body.value as object) : call.body(body.value)
    if (body.kind === 'stream') call = call.options({ duplex: 'half' })
  }
  try {
    return await readOutcome(await call.fetch(request.method ?? 'GET').res(), false)
  } catch (error) {
    if (error instanceof wretch.WretchError) return readOutcome(error.response, true)
    throw error
  }
}

/** Every harness of a client that takes a custom fetch. */
export const customFetchHarnesses: AdapterHarness[] = [
  openapiFetchHarness,
  ofetchHarness,
  wretchHarness,
]
