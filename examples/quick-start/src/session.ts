import type { TokenSet } from '@tokenflight/core'

// Stands in for your app's own sign-in and storage: here the saved session is the refresh token of a sign-in, from
// OAUTH2_REFRESH_TOKEN.

/** The tokens your app saved after the user signed in. */
export async function loadSavedTokens(): Promise<TokenSet> {
  const refreshToken = process.env.OAUTH2_REFRESH_TOKEN?.trim()
  if (!refreshToken) {
    throw new Error(
      'Missing setting OAUTH2_REFRESH_TOKEN: set it to a refresh token from a sign-in',
    )
  }
  // Only the refresh token is known: an access token that expired long ago makes the first request refresh.
  return { accessToken: 'none-yet', refreshToken, expiresAt: 0 }
}

export function showSignIn(): void {
  console.error('Session expired: sign in again')
}
