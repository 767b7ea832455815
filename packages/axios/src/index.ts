import type { TokenRefresher } from '@tokenflight/core'
import {
  createAuthorizationPolicy,
  isRefreshSignal,
  isReplayableBody,
  RequestCredentials,
  type ResponseAccess,
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

// The credentials a request was sent with travel on its config, under a string key: axios copies a config's
// string keys, and only recent versions its symbol keys, into the config that an interceptor re-sends (as
// axios-retry re-sends `error.config`). The value is core's RequestCredentials, which no JSON or log shows.
const credentialsKey = 'tokenflightCredentials'

/** A request config as this adapter marks it; the mark is private, so it is not in the public config type. */
type MarkedConfig = InternalAxiosRequestConfig & { [credentialsKey]?: unknown }

/** Options of {@link attachTokenRefresh}. */
export interface AttachTokenRefreshOptions extends TokenRefreshAdapterOptions<AxiosResponse> {}

const axiosResponseAccess: ResponseAccess<AxiosResponse> = {
  wwwAuthenticate: (response) => headerOf(response, 'www-authenticate'),
  header: headerOf,
}

function headerOf(response: AxiosResponse, name: string): string | undefined {
  const value = response.headers[name]
  return typeof value === 'string' ? value : undefined
}

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
  const policy = createAuthorizationPolicy(refresher, options, axiosResponseAccess)
  const { isAllowedUrl, usesDPoP } = policy

  const requestInterceptor = instance.interceptors.request.use(
    // Not an async function: with a fresh token the config is returned as it is, which axios chains a turn of the
    // microtask queue sooner than a promise; only a request that must wait for its token gets one.
    (config) => {
      const previous = credentialsOf(config)
      if (
        // The refresh function's own token request: waiting for a token would wait for itself.
        isRefreshSignal(config.signal) ||
        hasOwnAuthorization(config, previous) ||
        (isAllowedUrl !== undefined && !isAllowedUrl(requestUrlOf(config)))
      ) {
        return config
      }
      // A config sent again (a replay, or a retry interceptor re-sending `error.config`) carries the header set
      // for its earlier attempt; it gets the current token, and keeps its place in the replay policy.
      const now = policy.authorizeNow({ previous })
      if (now !== undefined) return authorized(config, now)
      return policy
        .authorize({
          signal: config.signal,
          previous,
          // A DPoP proof covers the method and URL; axios sends the method upper-cased.
          request: usesDPoP
            ? { method: (config.method ?? 'get').toUpperCase(), url: requestUrlOf(config) }
            : undefined,
        })
        .then((credentials) => authorized(config, credentials))
    },
    null,
    { runWhen: (config) => config.tokenRefresh !== false },
  )

  async function answerUnauthorized(
    config: InternalAxiosRequestConfig,
    outcome: AxiosResponse | AxiosError,
  ): Promise<AxiosResponse> {
    const sent = config.tokenRefresh === false ? undefined : credentialsOf(config)
    if (sent === undefined || !isAuthorizedWith(config, sent)) return settle(outcome)
    const response = isAxiosError(outcome) ? outcome.response : outcome
    if (response === undefined) return settle(outcome)
    const replayed = await policy.replayAfterUnauthorized(
      sent,
      response,
      (credentials) => {
        setCredentials(config, credentials)
        // `config` has its body serialized already, which axios sends again as it is.
        const replay: MarkedConfig = { ...config, [credentialsKey]: credentials }
        return instance.request(replay)
      },
      { signal: config.signal, replayable: isReplayableBody(config.data) },
    )
    return replayed ?? settle(outcome)
  }

  // Each server's DPoP nonce is learned from every response to a request sent with a proof.
  function learnNonce(config: InternalAxiosRequestConfig, response: AxiosResponse): void {
    const sent = credentialsOf(config)
    if (sent !== undefined) policy.learnNonce(sent, response)
  }

  const responseInterceptor = instance.interceptors.response.use(
    // A 401 arrives here when `validateStatus` accepts it.
    (response) => {
      if (usesDPoP) learnNonce(response.config, response)
      return policy.isUnauthorized(response)
        ? answerUnauthorized(response.config, response)
        : response
    },
    (error: unknown) => {
      if (!isAxiosError(error) || error.config === undefined || error.response === undefined)
        throw error
      if (usesDPoP) learnNonce(error.config, error.response)
      if (!policy.isUnauthorized(error.response)) throw error
      return answerUnauthorized(error.config, error)
    },
  )

  return function detach() {
    instance.interceptors.request.eject(requestInterceptor)
    instance.interceptors.response.eject(responseInterceptor)
  }
}

// Marks the config with the credentials it carries, which a 401 or a retry of it reads back.
function authorized(
  config: InternalAxiosRequestConfig,
  credentials: RequestCredentials,
): InternalAxiosRequestConfig {
  setCredentials(config, credentials)
  ;(config as MarkedConfig)[credentialsKey] = credentials
  return config
}

// Header by header: `AxiosHeaders.set` with an object takes a slower path, which each request would pay.
function setCredentials(config: InternalAxiosRequestConfig, credentials: RequestCredentials): void {
  for (const name in credentials.headers) {
    config.headers.set(name, credentials.headers[name])
  }
}

function credentialsOf(config: InternalAxiosRequestConfig): RequestCredentials | undefined {
  const credentials = (config as MarkedConfig)[credentialsKey]
  return credentials instanceof RequestCredentials ? credentials : undefined
}

// The header this adapter set for an earlier attempt of the request is not the caller's own.
function hasOwnAuthorization(
  config: InternalAxiosRequestConfig,
  previous: RequestCredentials | undefined,
): boolean {
  if (!config.headers.has('Authorization')) return false
  return previous === undefined || !isAuthorizedWith(config, previous)
}

function isAuthorizedWith(config: InternalAxiosRequestConfig, credentials: RequestCredentials) {
  return config.headers.get('Authorization') === credentials.headers.authorization
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

function settle(outcome: AxiosResponse | AxiosError): AxiosResponse {
  if (isAxiosError(outcome)) throw outcome
  return outcome
}
