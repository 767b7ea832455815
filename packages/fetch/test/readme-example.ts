import {
  createTokenRefresher,
  parseTokenResponse,
  SessionExpiredError,
  type TokenRefresher,
  type TokenSet,
} from '@tokenflight/core'
import { withTokenRefresh } from '@tokenflight/fetch'

export function createRefresher(initialTokens: TokenSet): TokenRefresher {
  return createTokenRefresher({
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
}

export function createApiFetch(initialTokens: TokenSet): typeof fetch {
  return withTokenRefresh(fetch, createRefresher(initialTokens), {
    origins: ['https://api.example.com'],
  })
}
