import type {
  AdapterHarness,
  ContractClient,
  ContractOutcome,
  ContractRequest,
} from '@tokenflight/adapter-contract'
import axios, {
  type AxiosInstance,
  type AxiosRequestConfig,
  type AxiosResponse,
  isAxiosError,
  isCancel,
} from 'axios'
import axiosRetry from 'axios-retry'
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

function outcomeOf(response: AxiosResponse, httpError: boolean): ContractOutcome {
  const challenge = response.headers['www-authenticate']
  return {
    status: response.status,
    body: response.data,
    httpError,
    wwwAuthenticate: typeof challenge === 'string' ? challenge : null,
  }
}

function clientOf(instance: AxiosInstance, options: AxiosHarnessOptions): ContractClient {
  return {
    send: async (request) => {
      try {
        return outcomeOf(await instance.request(toConfig(request, options)), false)
      } catch (error) {
        if (isAxiosError(error) && error.response !== undefined) {
          return outcomeOf(error.response, true)
        }
        throw error
      }
    },
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
      return clientOf(instance, options)
    },
    createRetryingClient(refresher, beforeRetry) {
      const instance = axios.create({ adapter: options.adapter })
      attachTokenRefresh(instance, refresher)
      // axios-retry sends `error.config` again through the same instance and its interceptors.
      axiosRetry(instance, {
        retries: 1,
        retryDelay: () => 0,
        retryCondition: (error) => error.response?.status === 503,
        onRetry: beforeRetry,
      })
      return clientOf(instance, options)
    },
  }
}
