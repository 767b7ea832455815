import { startSimulatedProvider } from './simulated-provider.js'

// Serves the protected API from its own process, so that the overhead scenario measures the client alone on
// its core: in one process, the server's work would share the event loop and dilute the client's cost.

/** What the provider process sends its parent once it listens. */
export interface ProviderProcessReady {
  tokenUrl: string
  apiUrl: string
  clientId: string
  accessToken: string
  refreshToken: string
  expiresAt: number
  accessTokenLifetimeMs: number
}

const lifetimeMs = 3_600_000
const provider = await startSimulatedProvider({ accessTokenLifetimeMs: lifetimeMs })
const tokens = provider.issueSession({ expiresInMs: lifetimeMs })
const ready: ProviderProcessReady = {
  tokenUrl: provider.tokenUrl,
  apiUrl: provider.apiUrl,
  clientId: provider.clientId,
  ...tokens,
  accessTokenLifetimeMs: lifetimeMs,
}
process.send?.(ready)
process.on('disconnect', () => {
  provider.close().then(() => process.exit(0))
})
