import {
  createTokenRefresher,
  parseTokenResponse,
  SessionExpiredError,
  type TokenSet,
} from '@tokenflight/core'
import { withTokenRefresh } from '@tokenflight/fetch'

export function createApiFetch(initialTokens: TokenSet): typeof fetch {
  const refresher = createTokenRefresher({
    initialTokens,
    // The token request uses the plain fetch, so it never waits on the refresh it is part of.
    refresh: async ({ tokens, signal }) => {
      if (tokens?.refreshToken === undefined) throw new SessionExpiredError('Sign in again')
      const response = await fetch('https://auth.example.com/oauth/token', {
        method: 'POST',
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: tokens.refreshToken,
          client_id: 'my-app',
        }),
        signal,
      })
      return parseTokenResponse(await response.json())
    },
    onSessionExpired: () => console.info('Session over: sign in again'),
  })
  return withTokenRefresh(fetch, refresher, { origins: ['https://api.example.com'] })
}
