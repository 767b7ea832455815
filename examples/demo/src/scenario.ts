import { createOAuthSimulator } from '@tokenflight/testing'
import type { SetupServer } from 'msw/node'
import type { DemoClientFactory } from './demo-client.js'

/** What one client did in one run of the scenario, and what the provider saw. */
export interface ScenarioResult {
  requests: number
  failedRequests: number
  expiries: number
  /** Requests to the token endpoint, successful or not. */
  refreshes: number
  /** Refreshes rejected because their single-use refresh token had already been used. */
  invalidGrants: number
  absorbedUnauthorized: number
}

export const scenario = {
  expiries: 6,
  burstSize: 20,
  accessTokenLifetimeMs: 3_600_000,
  tokenLatencyMs: 50,
} as const

/**
 * Signs one session in to a fresh simulated provider, then, for each expiry, lets the access token expire and sends a
 * burst of concurrent requests. Odd expiries: the simulated clock passes the token's expiry, which the client can
 * know in advance. Even ones: the provider rejects the token before its expiry (revoked, or the clocks disagree),
 * which only a 401 tells.
 */
export async function runScenario(
  server: SetupServer,
  createClient: DemoClientFactory,
): Promise<ScenarioResult> {
  const simulator = createOAuthSimulator({
    accessTokenLifetimeMs: scenario.accessTokenLifetimeMs,
    tokenLatencyMs: scenario.tokenLatencyMs,
    apiLatencyMs: 5,
  })
  server.resetHandlers(...simulator.handlers)
  const client = createClient(simulator)
  const url = `${simulator.apiUrl}/v1/me`

  let failedRequests = 0
  for (let expiry = 1; expiry <= scenario.expiries; expiry++) {
    if (expiry % 2 === 1) simulator.clock.advance(scenario.accessTokenLifetimeMs + 1_000)
    else simulator.expireAccessTokens()
    const burst = Array.from({ length: scenario.burstSize }, () => client.get(url))
    const results = await Promise.allSettled(burst)
    failedRequests += results.filter((result) => result.status === 'rejected').length
  }
  return {
    requests: scenario.expiries * scenario.burstSize,
    failedRequests,
    expiries: scenario.expiries,
    refreshes: simulator.stats.refreshCalls,
    invalidGrants: simulator.stats.reusedRefreshTokens,
    absorbedUnauthorized: client.absorbedUnauthorized(),
  }
}
