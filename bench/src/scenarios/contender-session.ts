import { monitorEventLoopDelay } from 'node:perf_hooks'
import type { Contender, ContenderDefinition, ContenderSetup } from '../contenders/contender.js'
import {
  type ProviderCounters,
  type SimulatedProvider,
  type SimulatedProviderOptions,
  startSimulatedProvider,
} from '../provider/simulated-provider.js'

/** How one contender's session starts. */
export interface SessionOptions {
  provider: SimulatedProviderOptions
  /** Milliseconds until the session's first access token expires; negative: it already has. */
  initialExpiresInMs: number
  /** Whether the client is told when its tokens expire (`expiresAt`, `expires_in`). */
  expiryKnown: boolean
  refresherOptions?: ContenderSetup['refresherOptions']
}

/**
 * What else happened during a session: lines the libraries logged, promise rejections nobody handled, and the
 * longest the event loop was late, which on a busy machine can outlast a 100 ms token.
 */
export interface SessionNoise {
  logLines: number
  unhandledRejections: number
  eventLoopDelayMaxMs: number
}

let unhandledRejections = 0
let listening = false

// Some peers leave rejected promises behind when a refresh fails; Node would end the process on the first one.
function countUnhandledRejections(): void {
  if (listening) return
  listening = true
  process.on('unhandledRejection', () => {
    unhandledRejections++
  })
}

/**
 * Starts a provider and a contender on it, runs `body`, and tears both down. The libraries' console output is
 * counted instead of printed, so that the report stays readable.
 */
export async function runSession<Result>(
  definition: ContenderDefinition,
  options: SessionOptions,
  body: (contender: Contender, provider: SimulatedProvider) => Promise<Result>,
): Promise<{ result: Result; counters: ProviderCounters; noise: SessionNoise }> {
  countUnhandledRejections()
  const provider = await startSimulatedProvider({
    ...options.provider,
    announceExpiry: options.expiryKnown,
    tokenFormat: options.expiryKnown ? (options.provider.tokenFormat ?? 'jwt') : 'opaque',
  })
  const tokens = provider.issueSession({ expiresInMs: options.initialExpiresInMs })
  const { warn, error } = console
  let logLines = 0
  const count = () => {
    logLines++
  }
  console.warn = count
  console.error = count
  const rejectionsBefore = unhandledRejections
  const eventLoopDelay = monitorEventLoopDelay({ resolution: 5 })
  let contender: Contender | undefined
  try {
    contender = definition.create({
      tokenUrl: provider.tokenUrl,
      apiUrl: provider.apiUrl,
      clientId: provider.clientId,
      accessToken: tokens.accessToken,
      refreshToken: tokens.refreshToken,
      expiresAt: options.expiryKnown ? tokens.expiresAt : undefined,
      accessTokenLifetimeMs: provider.accessTokenLifetimeMs,
      ...(options.refresherOptions === undefined
        ? {}
        : { refresherOptions: options.refresherOptions }),
    })
    eventLoopDelay.enable()
    const result = await body(contender, provider)
    eventLoopDelay.disable()
    const counters = provider.counters()
    return {
      result,
      counters,
      noise: {
        logLines,
        unhandledRejections: unhandledRejections - rejectionsBefore,
        eventLoopDelayMaxMs: eventLoopDelay.max / 1e6,
      },
    }
  } finally {
    contender?.close()
    await provider.close()
    // Give sockets destroyed by close() a turn to reject their requests while the console is still quiet.
    await new Promise((resolve) => setTimeout(resolve, 20))
    console.warn = warn
    console.error = error
  }
}
