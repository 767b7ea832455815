import type { TokenRefresher, WaitOptions } from '@tokenflight/core'
import {
  authorizationFor,
  isRefreshSignal,
  isReplayableBody,
  resolveAdapterOptions,
  type TokenRefreshAdapterOptions,
} from '@tokenflight/core/adapter'
import {
  type AxiosError,
  type AxiosInstance,
  type AxiosResponse,
  type InternalAxiosRequestConfig,
  isAxiosError,
} from 'axios'

declare module 'axios' {
  // Merged declarations must repeat axios' type parameters exactly, defaults included.
  // biome-ignore lint/suspicious/noExplicitAny: axios declares these defaults as `any`
  interface AxiosRequestConfig<D = any, P = any> {
    /**
     * `false` sends the request as it is, read by `@tokenflight/axios`: no access token is added and a 401 is not
     * answered with a refresh. Default `true`.
     */
    tokenRefresh?: boolean
  }
}

/** Options of {@link attachTokenRefresh}. */
export interface AttachTokenRefreshOptions extends TokenRefreshAdapterOptions<AxiosResponse> {}

/**
 * Adds interceptors to an axios instance that put a fresh access token on each request and answer a 401 with one
 * refresh and one replay through the same instance; returns `detach`, which removes them.
 *
 * @example
 * const api = axios.create({ baseURL: 'https://api.example.com' })
 * const detach = attachTokenRefresh(api, refresher, { origins: ['https://api.example.com'] })
 */
export function attachTokenRefresh(
  instance: AxiosInstance,
  refresher: TokenRefresher,
  options?: AttachTokenRefreshOptions,
): () => void {
  if (typeof instance?.interceptors?.request?.use !== 'function') {
    throw new TypeError('Expected `instance` to be an axios instance')
  }
  const { isAllowedUrl, isUnauthorized } = resolveAdapterOptions(refresher, options)

  const requestInterceptor = instance.interceptors.request.use(
    async (config) => {
      if (
        // The refresh function's own token request: waiting for a token would wait for itself.
        isRefreshSignal(config.signal) ||
        config.headers.has('Authorization') ||
        (isAllowedUrl !== undefined && !isAllowedUrl(requestUrlOf(config)))
      ) {
        // Marked, so that the response interceptor leaves its 401 alone as well.
        config.tokenRefresh = false
        return config
      }
      const token = await refresher.getAccessToken(waitOptionsOf(config))
      config.headers.set('Authorization', authorizationFor(refresher, token))
      return config
    },
    null,
    { runWhen: (config) => config.tokenRefresh !== false },
  )

  async function replay(
    config: InternalAxiosRequestConfig,
    outcome: AxiosResponse | AxiosError,
  ): Promise<AxiosResponse> {
    const sentToken = config.tokenRefresh === false ? undefined : sentTokenOf(config)
    if (sentToken === undefined) return settle(outcome)
    const token = await refresher.refreshAfterUnauthorized(sentToken, waitOptionsOf(config))
    // A stream was used up by the first attempt. Rather than replay it empty, hand the 401 to the caller:
    // the token is fresh now, so sending a new stream will succeed.
    if (!isReplayableBody(config.data)) return settle(outcome)
    config.headers.set('Authorization', authorizationFor(refresher, token))
    // `config` has its body serialized already, which axios sends again as it is. The replay is opted out,
    // so that its own 401 reaches the caller as axios reports it.
    return instance.request({ ...config, tokenRefresh: false })
  }

  const responseInterceptor = instance.interceptors.response.use(
    // A 401 arrives here when `validateStatus` accepts it.
    (response) => (isUnauthorized(response) ? replay(response.config, response) : response),
    (error: unknown) => {
      if (!isAxiosError(error) || error.config === undefined || error.response === undefined)
        throw error
      if (!isUnauthorized(error.response)) throw error
      return replay(error.config, error)
    },
  )

  return function detach() {
    instance.interceptors.request.eject(requestInterceptor)
    instance.interceptors.response.eject(responseInterceptor)
  }
}

// The URL axios will request, as far as its origin goes: axios' own rule (`buildFullPath`) on the
// config, which interceptors get already merged with the instance defaults. `instance.getUri(config)`
// would merge the config again and build the query string, about 40 times the cost, on every request.
function requestUrlOf(config: InternalAxiosRequestConfig): string {
  const url = config.url ?? ''
  const { baseURL } = config
  const isAbsolute = /^([a-z][a-z\d+\-.]*:)?\/\//i.test(url)
  if (!baseURL || (isAbsolute && config.allowAbsoluteUrls !== false)) return url
  return url === '' ? baseURL : `${baseURL.replace(/\/?\/$/, '')}/${url.replace(/^\/+/, '')}`
}

// The token the request was sent with, read from the header the request interceptor set.
function sentTokenOf(config: InternalAxiosRequestConfig): string | undefined {
  const authorization = config.headers.get('Authorization')
  if (typeof authorization !== 'string') return undefined
  const space = authorization.indexOf(' ')
  return space < 0 ? undefined : authorization.slice(space + 1)
}

function settle(outcome: AxiosResponse | AxiosError): AxiosResponse {
  if (isAxiosError(outcome)) throw outcome
  return outcome
}

function waitOptionsOf(config: InternalAxiosRequestConfig): WaitOptions | undefined {
  // axios accepts any object shaped like a signal; only a real AbortSignal can be waited on.
  return config.signal instanceof AbortSignal ? { signal: config.signal } : undefined
}
