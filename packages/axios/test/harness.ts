import type {
  AdapterHarness,
  ContractOutcome,
  ContractRequest,
} from '@tokenflight/adapter-contract'
import axios, { type AxiosRequestConfig, isAxiosError, isCancel } from 'axios'
import { attachTokenRefresh } from '../src/index.js'

export interface AxiosHarnessOptions {
  adapter: 'http' | 'fetch'
  /** Turns the contract's `ReadableStream` into a body this axios adapter sends; none where it sends no stream. */
  toStreamBody?: (stream: ReadableStream<Uint8Array>) => unknown
}

function toConfig(request: ContractRequest, options: AxiosHarnessOptions): AxiosRequestConfig {
  const { body } = request
  const data =
    body?.kind === 'stream' && options.toStreamBody !== undefined
      ? options.toStreamBody(body.value as ReadableStream<Uint8Array>)
      : body?.value
  // As `axios.postForm` does: without it, axios' fetch adapter in Node labels a FormData body as URL-encoded.
  const headers =
    body?.kind === 'form-data'
      ? { ...request.headers, 'Content-Type': 'multipart/form-data' }
      : request.headers
  return {
    url: request.url,
    method: request.method ?? 'GET',
    ...(headers === undefined ? {} : { headers }),
    ...(request.signal === undefined ? {} : { signal: request.signal }),
    ...(body === undefined ? {} : { data }),
    ...(request.optOut ? { tokenRefresh: false } : {}),
  }
}

/** An axios instance with the adapter attached, on axios' `http` or `fetch` adapter. */
export function axiosHarness(options: AxiosHarnessOptions): AdapterHarness {
  return {
    name: `axios, ${options.adapter} adapter`,
    httpErrors: 'reject',
    streamBodies: options.toStreamBody === undefined ? 'unsupported' : 'not-replayed',
    recognizesRefreshSignal: true,
    isAbortError: (error) =>
      isCancel(error) || (error as { name?: unknown })?.name === 'AbortError',
    createClient(refresher, adapterOptions) {
      const instance = axios.create({ adapter: options.adapter })
      attachTokenRefresh(instance, refresher, adapterOptions)
      return {
        send: async (request): Promise<ContractOutcome> => {
          try {
            const response = await instance.request(toConfig(request, options))
            return { status: response.status, body: response.data, httpError: false }
          } catch (error) {
            if (isAxiosError(error) && error.response !== undefined) {
              return { status: error.response.status, body: error.response.data, httpError: true }
            }
            throw error
          }
        },
      }
    },
  }
}
