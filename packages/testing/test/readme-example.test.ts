import {
  createTokenRefresher,
  RefreshFailedError,
  SessionExpiredError,
  type TokenRefresher,
} from '@tokenflight/core'
import { createOAuthSimulator } from '@tokenflight/testing'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'

// The code under test: your app's API call. Build it with your tokenflight adapter the same way.
async function loadProfile(refresher: TokenRefresher): Promise<unknown> {
  const token = await refresher.getAccessToken()
  const response = await fetch('https://api.example.com/profile', {
    headers: { Authorization: `Bearer ${token}` },
  })
  return response.json()
}

const server = setupServer()
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
afterEach(() => server.resetHandlers())
afterAll(() => server.close())

function signedIn() {
  const simulator = createOAuthSimulator({
    apiUrl: 'https://api.example.com',
    accessTokenLifetimeMs: 15 * 60_000,
    reuseDetection: true,
  })
  server.use(...simulator.handlers)
  const refresher = createTokenRefresher({
    refresh: simulator.refresh,
    initialTokens: simulator.signIn(),
    now: simulator.clock.now, // the refresher and the provider share one clock
  })
  return { simulator, refresher }
}

describe('loading the profile', () => {
  it('refreshes once when ten calls find the token expired', async () => {
    const { simulator, refresher } = signedIn()
    simulator.clock.advance(15 * 60_000)

    await Promise.all(Array.from({ length: 10 }, () => loadProfile(refresher)))

    expect(simulator.stats.refreshCalls).toBe(1)
    expect(simulator.stats.reusedRefreshTokens).toBe(0)
    expect(simulator.stats.unauthorizedResponses).toBe(0)
  })

  it('keeps the session through a token endpoint outage', async () => {
    const { simulator, refresher } = signedIn()
    simulator.clock.advance(15 * 60_000)
    simulator.failTokenRequests('server-error')

    await expect(loadProfile(refresher)).rejects.toBeInstanceOf(RefreshFailedError)
    // Within the back-off that follows, calls fail fast; the first one after it refreshes again.
    simulator.clock.advance(60_000)
    await expect(loadProfile(refresher)).resolves.toMatchObject({ path: '/profile' })
  })

  it('ends the session when the refresh token was revoked', async () => {
    const { simulator, refresher } = signedIn()
    simulator.revokeSession()
    simulator.clock.advance(15 * 60_000)

    await expect(loadProfile(refresher)).rejects.toBeInstanceOf(SessionExpiredError)
    expect(simulator.stats.refreshCalls).toBe(1)
  })
})
