import { browserTokenStore } from '@tokenflight/browser'
import { createTokenRefresher } from '@tokenflight/core'
import { refreshTokenGrant } from '@tokenflight/oauth2'
import { showSignIn } from './session.js'

export const refresher = createTokenRefresher({
  store: browserTokenStore({ key: 'my-app' }),
  refresh: refreshTokenGrant({
    tokenEndpoint: 'https://auth.example.com/oauth/token',
    clientId: 'my-app',
  }),
  onSessionExpired: showSignIn,
})
