import {
  createOAuthSimulator,
  type OAuthSimulator,
  type OAuthSimulatorOptions,
} from '@tokenflight/testing'
import type { HttpHandler } from 'msw'
import { setupServer } from 'msw/node'

/** Options of {@link startSimulatedProvider}. */
export interface SimulatedProviderOptions extends OAuthSimulatorOptions {
  /** Handlers of the example's own, answered before the simulator's (a vendor endpoint, say). Default: none. */
  extraHandlers?: HttpHandler[]
  /**
   * A quarter of a lifetime after this many refreshes, the provider rejects the access tokens it issued so far, once,
   * before it expires (as after a key rotation), so that a run shows 401s absorbed. Default: never.
   */
  rejectTokenEarlyAfterRefreshes?: number
}

/** The simulated provider, served in this process through MSW. */
export interface SimulatedProvider {
  readonly simulator: OAuthSimulator
  /** Stops intercepting requests. */
  close(): void
}

/** The client the simulated token endpoint requires, so that the examples authenticate as with a real provider. */
export const simulatedClient = { id: 'example-app', secret: 'example-secret' } as const

/**
 * Starts a simulated OAuth 2 provider and protected API from `@tokenflight/testing` in this process: every `fetch`
 * to its URLs is answered by MSW, and any other request fails, so nothing leaves the machine.
 *
 * @example
 * const { simulator, close } = startSimulatedProvider({ accessTokenLifetimeMs: 1_000 })
 */
export function startSimulatedProvider(options: SimulatedProviderOptions): SimulatedProvider {
  const { extraHandlers = [], rejectTokenEarlyAfterRefreshes, ...simulatorOptions } = options
  const simulator = createOAuthSimulator({ client: simulatedClient, ...simulatorOptions })
  const server = setupServer(...extraHandlers, ...simulator.handlers)
  server.listen({ onUnhandledRequest: 'error' })
  let earlyRejection: NodeJS.Timeout | undefined
  if (rejectTokenEarlyAfterRefreshes !== undefined) {
    const lifetimeMs = simulatorOptions.accessTokenLifetimeMs ?? 3_600_000
    // Timed from a token response rather than from the start, so that it never races the next refresh.
    server.events.on('response:mocked', ({ request }) => {
      if (
        request.url === simulator.tokenUrl &&
        simulator.stats.refreshCalls === rejectTokenEarlyAfterRefreshes
      ) {
        earlyRejection = setTimeout(() => simulator.expireAccessTokens(), lifetimeMs / 4)
      }
    })
  }
  return {
    simulator,
    close: () => {
      clearTimeout(earlyRejection)
      server.close()
    },
  }
}
