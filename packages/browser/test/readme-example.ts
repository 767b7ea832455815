import { browserTokenStore } from '@tokenflight/browser'
import { createTokenRefresher, parseTokenResponse, SessionExpiredError } from '@tokenflight/core'
import { withTokenRefresh } from '@tokenflight/fetch'

export interface SessionSettings {
  tokenEndpoint: string
  clientId: string
  apiOrigin: string
  onSignedOut: () => void
}

// Run once in each tab: every tab of this origin that uses the key 'my-app' shares one session.
export function startSession({ tokenEndpoint, clientId, apiOrigin, onSignedOut }: SessionSettings) {
  const refresher = createTokenRefresher({
    store: browserTokenStore({ key: 'my-app' }),
    refresh: async ({ tokens, signal }) => {
      if (tokens?.refreshToken === undefined) throw new SessionExpiredError('Sign in again')
      const response = await fetch(tokenEndpoint, {
        method: 'POST',
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: tokens.refreshToken,
          client_id: clientId,
        }),
        signal,
      })
      return parseTokenResponse(await response.json())
    },
    // Called once in every open tab, whichever tab the session ended in (a sign-out, a revoked token).
    onSessionExpired: onSignedOut,
  })
  const apiFetch = withTokenRefresh(fetch, refresher, { origins: [apiOrigin] })
  return { refresher, apiFetch }
}
