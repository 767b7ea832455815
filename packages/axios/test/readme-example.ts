import { attachTokenRefresh } from '@tokenflight/axios'
import {
  createTokenRefresher,
  parseTokenResponse,
  SessionExpiredError,
  type TokenSet,
} from '@tokenflight/core'
import axios, { type AxiosInstance } from 'axios'

export function createApi(initialTokens: TokenSet): AxiosInstance {
  const api = axios.create({ baseURL: 'https://api.example.com' })
  const refresher = createTokenRefresher({
    initialTokens,
    // The token request may use the same instance when it opts out, so that it never waits on its own refresh.
    refresh: async ({ tokens, signal }) => {
      if (tokens?.refreshToken === undefined) throw new SessionExpiredError('Sign in again')
      const response = await api.post(
        'https://auth.example.com/oauth/token',
        new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: tokens.refreshToken,
          client_id: 'my-app',
        }),
        { signal, tokenRefresh: false, validateStatus: () => true },
      )
      return parseTokenResponse(response.data)
    },
    onSessionExpired: () => console.info('Session over: sign in again'),
  })
  attachTokenRefresh(api, refresher, { origins: ['https://api.example.com'] })
  return api
}
