import axios from 'axios'
import {
  applyAuthTokenInterceptor,
  type IAuthTokens,
  setAuthTokens,
  type TokenRefreshRequest,
} from 'axios-jwt'
import { type ContenderDefinition, refreshGrant } from './contender.js'

// The README's default leeway; a token with less than this left is refreshed before the request is sent.
const readmeFudgeSeconds = 10

/**
 * axios-jwt as its README sets it up. It keeps its state in module globals, so one session runs at a time; it
 * reads expiry from the JWT `exp` and never looks at a 401.
 */
export const axiosJwtContender: ContenderDefinition = {
  name: 'axios-jwt',
  packageName: 'axios-jwt',
  client: 'axios',
  configuration:
    'applyAuthTokenInterceptor(instance, { requestRefresh, getStorage }) with an in-memory storage and setAuthTokens; requestRefresh posts with the global axios and returns both rotated tokens; tokenExpireFudge: the README default 10 s, or a quarter of the lifetime for shorter tokens',
  needsKnownExpiry: true,
  create(setup) {
    const entries = new Map<string, string>()
    const storage = {
      get: async (key: string) => entries.get(key) ?? null,
      set: async (key: string, value: string) => {
        entries.set(key, value)
      },
      remove: async (key: string) => {
        entries.delete(key)
      },
    }
    const requestRefresh: TokenRefreshRequest = async (refreshToken): Promise<IAuthTokens> => {
      const response = await axios.post<{ access_token: string; refresh_token?: string }>(
        setup.tokenUrl,
        refreshGrant(refreshToken, setup.clientId),
      )
      return {
        accessToken: response.data.access_token,
        refreshToken: response.data.refresh_token ?? refreshToken,
      }
    }
    const instance = axios.create({ baseURL: setup.apiUrl })
    // The package's types resolve axios's CommonJS declarations, which TypeScript keeps apart from the ESM ones.
    applyAuthTokenInterceptor(instance as Parameters<typeof applyAuthTokenInterceptor>[0], {
      requestRefresh,
      getStorage: () => storage,
      tokenExpireFudge: Math.min(readmeFudgeSeconds, setup.accessTokenLifetimeMs / 4 / 1000),
    })
    void setAuthTokens({ accessToken: setup.accessToken, refreshToken: setup.refreshToken })
    return {
      get: async (path) => {
        await instance.get(path)
      },
      close: () => {},
    }
  },
}
