import axios, { type AxiosRequestConfig, type InternalAxiosRequestConfig } from 'axios'
import { type AxiosAuthRefreshOptions, createAuthRefresh } from 'axios-auth-refresh'
import { type ContenderDefinition, type ContenderSetup, refreshGrant } from './contender.js'

type AxiosInstanceOfTypes = Parameters<typeof createAuthRefresh>[0]

interface TokenResponseBody {
  access_token: string
  refresh_token?: string
}

// As in the README: a request interceptor reads the token from storage (a variable here), and the refresh logic
// posts with the global axios (not the instance the interceptors are on), stores the new tokens and sets the
// header on the failed request before it is retried.
function createWith(options: AxiosAuthRefreshOptions) {
  return (setup: ContenderSetup) => {
    let tokens = { accessToken: setup.accessToken, refreshToken: setup.refreshToken }
    const instance = axios.create({ baseURL: setup.apiUrl })
    const refreshAuthLogic = async (failedRequest: {
      response: { config: InternalAxiosRequestConfig }
    }): Promise<void> => {
      const response = await axios.post<TokenResponseBody>(
        setup.tokenUrl,
        refreshGrant(tokens.refreshToken, setup.clientId),
        { skipAuthRefresh: true } as AxiosRequestConfig,
      )
      tokens = {
        accessToken: response.data.access_token,
        refreshToken: response.data.refresh_token ?? tokens.refreshToken,
      }
      failedRequest.response.config.headers.Authorization = `Bearer ${tokens.accessToken}`
    }
    // The package's types resolve axios's CommonJS declarations, which TypeScript keeps apart from the ESM ones.
    createAuthRefresh(instance as AxiosInstanceOfTypes, refreshAuthLogic, options)
    instance.interceptors.request.use((request) => {
      request.headers.Authorization = `Bearer ${tokens.accessToken}`
      return request
    })
    return {
      get: async (path: string) => {
        await instance.get(path)
      },
      close: () => {},
    }
  }
}

/** axios-auth-refresh 5 as its README sets it up, with its defaults and with deduplication off. */
export const axiosAuthRefreshContenders: ContenderDefinition[] = [
  {
    name: 'axios-auth-refresh (defaults)',
    packageName: 'axios-auth-refresh',
    client: 'axios',
    configuration:
      'createAuthRefresh(instance, refreshAuthLogic) with default options (deduplicateRefresh: true, maxRetries: 3); README request interceptor sets the header from stored tokens; the refresh posts with the global axios',
    needsKnownExpiry: false,
    create: createWith({}),
  },
  {
    name: 'axios-auth-refresh (deduplicateRefresh: false)',
    packageName: 'axios-auth-refresh',
    client: 'axios',
    configuration:
      'as above with { deduplicateRefresh: false }; the refresh call carries skipAuthRefresh as the README asks',
    needsKnownExpiry: false,
    create: createWith({ deduplicateRefresh: false }),
  },
]
