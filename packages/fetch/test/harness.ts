import {
  type AdapterHarness,
  type ContractRequest,
  isAbortError,
  readOutcome,
} from '@tokenflight/adapter-contract'
import { withTokenRefresh } from '../src/index.js'

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
        if (request.optOut) init.tokenRefresh = false
        return readOutcome(await fetchWithToken(request.url, init), false)
      },
    }
  },
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
          request.optOut ? { tokenRefresh: false } : undefined,
        )
        return readOutcome(response, false)
      },
    }
  },
}
