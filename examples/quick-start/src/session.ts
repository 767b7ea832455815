// Stands in for your app's own sign-in: a simulated OAuth provider (MSW, in this process) at the
// URLs the quick start uses, with single-use refresh tokens that rotate on every refresh.
import { createOAuthSimulator } from '@tokenflight/testing'
import { setupServer } from 'msw/node'

export const provider = createOAuthSimulator({
  tokenUrl: 'https://auth.example.com/oauth/token',
  apiUrl: 'https://api.example.com',
})
export const server = setupServer(...provider.handlers)
server.listen({ onUnhandledRequest: 'error' })

/** The tokens your app saved after the user signed in. */
export async function loadSavedTokens() {
  return provider.signIn()
}

export function showSignIn(): void {
  console.error('Session expired: sign in again')
}
