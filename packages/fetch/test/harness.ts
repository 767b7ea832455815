import {
  type AdapterHarness,
  type ContractClient,
  type ContractRequest,
  isAbortError,
  readOutcome,
} from '@tokenflight/adapter-contract'
import type { TokenRefresher } from '@tokenflight/core'
import pRetry from 'p-retry'
import { withoutTokenRefresh, withTokenRefresh } from '../src/index.js'

function toInit(request: ContractRequest): RequestInit {
  const init: RequestInit = { method: request.method ?? 'GET' }
  if (request.headers !== undefined) init.headers = request.headers
  if (request.signal !== undefined) init.signal = request.signal
  const { body } = request
  if (body !== undefined) {
    init.body = body.kind === 'json' ? JSON.stringify(body.value) : (body.value as BodyInit)
    // A stream body needs half-duplex mode, which TypeScript's RequestInit does not declare yet.
    if (body.kind === 'stream') Object.assign(init, { duplex: 'half' })
  }
  return init
}

/**
 * A client that calls the wrapped fetch through p-retry, which calls it again when the first call meets a 503;
 * `call` makes one call of the wrapped fetch for the contract's request.
 */
function retryingClient(
  refresher: TokenRefresher,
  beforeRetry: () => void,
  call: (fetchWithToken: typeof fetch, request: ContractRequest) => () => Promise<Response>,
): ContractClient {
  const fetchWithToken = withTokenRefresh(fetch, refresher)
  return {
    send: async (request) => {
      const attempt = call(fetchWithToken, request)
      const response = await pRetry(
        async () => {
          const response = await attempt()
          if (response.status === 503) throw new Error('Service unavailable')
          return response
        },
        { retries: 1, minTimeout: 0, maxTimeout: 0, onFailedAttempt: beforeRetry },
      )
      return readOutcome(response, false)
    },
  }
}

/** `withTokenRefresh(fetch)` called with a URL and an init object. */
export const fetchUrlHarness: AdapterHarness = {
  name: 'fetch, called with (url, init)',
  httpErrors: 'resolve',
  streamBodies: 'not-replayed',
  recognizesRefreshSignal: true,
  isAbortError,
  createClient(refresher, options) {
    const fetchWithToken = withTokenRefresh(fetch, refresher, options)
    return {
      send: async (request) => {
        const init = toInit(request)
        return readOutcome(
          await fetchWithToken(request.url, request.optOut ? withoutTokenRefresh(init) : init),
          false,
        )
      },
    }
  },
  createRetryingClient: (refresher, beforeRetry) =>
    retryingClient(
      refresher,
      beforeRetry,
      (fetchWithToken, request) => () => fetchWithToken(request.url, toInit(request)),
    ),
}

/** `withTokenRefresh(fetch)` called with a `Request` object, whose body it copies in case of a replay. */
export const fetchRequestHarness: AdapterHarness = {
  name: 'fetch, called with a Request',
  httpErrors: 'resolve',
  streamBodies: 'replayed',
  recognizesRefreshSignal: false,
  isAbortError,
  createClient(refresher, options) {
    const fetchWithToken = withTokenRefresh(fetch, refresher, options)
    return {
      send: async (request) => {
        const input = new Request(request.url, toInit(request))
        // A Request keeps no unknown init members, so the opt-out goes in the init of the call.
        const response = await fetchWithToken(
          input,
          request.optOut ? withoutTokenRefresh() : undefined,
        )
        return readOutcome(response, false)
      },
    }
  },
  createRetryingClient: (refresher, beforeRetry) =>
    retryingClient(refresher, beforeRetry, (fetchWithToken, request) => {
      // The same Request each time, as a caller retrying `apiFetch(request)` would send it.
      const input = new Request(request.url, toInit(request))
      return () => fetchWithToken(input)
    }),
}
