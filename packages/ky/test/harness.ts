import {
  type AdapterHarness,
  type ContractOutcome,
  type ContractRequest,
  isAbortError,
  readOutcome,
} from '@tokenflight/adapter-contract'
import ky2, { HTTPError as Ky2HTTPError } from 'ky'
import ky1, { HTTPError as Ky1HTTPError } from 'ky1'
import { tokenRefreshHooks } from '../src/index.js'

/** The options of a ky call, the same in ky 1 and ky 2 for what the contract sends. */
function toKyOptions(request: ContractRequest) {
  const { body } = request
  return {
    method: request.method ?? 'GET',
    ...(request.headers === undefined ? {} : { headers: request.headers }),
    ...(request.signal === undefined ? {} : { signal: request.signal }),
    ...(body === undefined
      ? {}
      : body.kind === 'json'
        ? { json: body.value }
        : { body: body.value as BodyInit }),
    ...(request.optOut ? { context: { tokenRefresh: false } } : {}),
  }
}

const majors = {
  1: { ky: ky1, HTTPError: Ky1HTTPError },
  2: { ky: ky2, HTTPError: Ky2HTTPError },
}

type KyInstance = typeof ky1 | typeof ky2

function clientOf(api: KyInstance, HTTPError: typeof Ky1HTTPError | typeof Ky2HTTPError) {
  return {
    send: async (request: ContractRequest): Promise<ContractOutcome> => {
      try {
        return await readOutcome(await api(request.url, toKyOptions(request)), false)
      } catch (error) {
        if (!(error instanceof HTTPError)) throw error
        // ky 2 reads the body of an error response into `data`; ky 1 leaves it in the response.
        return 'data' in error
          ? {
              status: error.response.status,
              body: error.data,
              httpError: true,
              wwwAuthenticate: error.response.headers.get('www-authenticate'),
            }
          : readOutcome(error.response, true)
      }
    },
  }
}

/** ky 1 or ky 2, with its default retries or with `retry: 0`. */
export function kyHarness(major: 1 | 2, retry: 'default' | 0): AdapterHarness {
  const { ky, HTTPError } = majors[major]
  return {
    name: `ky ${major}, ${retry === 0 ? 'retry: 0' : 'default retries'}`,
    httpErrors: 'reject',
    // ky 1 copies every request before sending it; ky 2 only when it may retry. The copy can be replayed.
    streamBodies: major === 2 && retry === 0 ? 'not-replayed' : 'replayed',
    recognizesRefreshSignal: major === 2,
    isAbortError,
    createClient(refresher, options) {
      const api = ky.create({
        hooks: tokenRefreshHooks(refresher, options),
        ...(retry === 0 ? { retry: 0 } : {}),
      })
      return clientOf(api, HTTPError)
    },
    createRetryingClient(refresher, beforeRetry) {
      // ky's own retries, which retry a 503 by default; the delay is 0 so that no test waits for it.
      const api = ky
        .create({ hooks: tokenRefreshHooks(refresher) })
        .extend({ retry: { limit: 1, delay: () => 0 }, hooks: { beforeRetry: [beforeRetry] } })
      return clientOf(api, HTTPError)
    },
  }
}
