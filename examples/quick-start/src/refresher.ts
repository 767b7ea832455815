import { createTokenRefresher } from '@tokenflight/core'
import { refreshTokenGrant } from '@tokenflight/oauth2'
import { loadSavedTokens, showSignIn } from './session.js'

export const refresher = createTokenRefresher({
  initialTokens: await loadSavedTokens(),
  refresh: refreshTokenGrant({
    tokenEndpoint: 'https://auth.example.com/oauth/token',
    clientId: 'my-app',
  }),
  onSessionExpired: showSignIn,
})
