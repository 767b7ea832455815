import {
  createTokenRefresher,
  parseTokenResponse,
  SessionExpiredError,
  type TokenSet,
} from '@tokenflight/core'
import { tokenRefreshHooks } from '@tokenflight/ky'
import ky, { type KyInstance } from 'ky'

export function createApi(initialTokens: TokenSet): KyInstance {
  const refresher = createTokenRefresher({
    initialTokens,
    // The token request goes through plain `ky`, not through the instance it refreshes for.
    refresh: async ({ tokens, signal }) => {
      if (tokens?.refreshToken === undefined) throw new SessionExpiredError('Sign in again')
      const body = await ky
        .post('https://auth.example.com/oauth/token', {
          body: new URLSearchParams({
            grant_type: 'refresh_token',
            refresh_token: tokens.refreshToken,
            client_id: 'my-app',
          }),
          throwHttpErrors: false,
          signal,
        })
        .json()
      return parseTokenResponse(body)
    },
    onSessionExpired: () => console.info('Session over: sign in again'),
  })
  return ky.create({
    prefix: 'https://api.example.com',
    hooks: tokenRefreshHooks(refresher, { origins: ['https://api.example.com'] }),
  })
}
