import { createOAuthSimulator } from '@tokenflight/testing'
import { setupServer } from 'msw/node'

// Not part of the example: `pnpm start` serves a simulated provider at the quick start's URLs in this process (MSW),
// with single-use refresh tokens, then runs src/main.ts in this process too. After each round of 30 requests the
// provider rejects the access token early, so that only a 401 tells: each time one refresh must answer all of them.

const rounds = 3
const requestsPerRound = 30
const simulator = createOAuthSimulator({
  tokenUrl: 'https://auth.example.com/oauth/token',
  apiUrl: 'https://api.example.com',
})
const server = setupServer(...simulator.handlers)
server.listen({ onUnhandledRequest: 'error' })
let succeeded = 0
server.events.on('response:mocked', ({ request, response }) => {
  if (request.url === simulator.tokenUrl || response.status !== 200) return
  succeeded++
  // The round's last answer is on its way; the next round starts once src/main.ts has read them all.
  if (succeeded % requestsPerRound === 0 && succeeded < rounds * requestsPerRound) {
    simulator.expireAccessTokens()
  }
})
process.env.OAUTH2_REFRESH_TOKEN = simulator.signIn().refreshToken

try {
  await import('./src/main.js')
  const { refreshCalls, unauthorizedResponses } = simulator.stats
  console.log(
    `access tokens rejected early: ${rounds - 1}; 401s absorbed: ${unauthorizedResponses}`,
  )
  console.log(
    `refreshes: ${refreshCalls} (the first request’s, then one per rejected token, shared by all three clients)`,
  )
  if (succeeded !== rounds * requestsPerRound || refreshCalls !== rounds) {
    console.error(`Unexpected: ${succeeded} requests succeeded with ${refreshCalls} refreshes`)
    process.exitCode = 1
  }
} catch (error) {
  console.error(`Failed: ${error instanceof Error ? error.message : String(error)}`)
  process.exitCode = 1
} finally {
  server.close()
}
