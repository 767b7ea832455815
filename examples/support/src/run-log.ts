import type { RefreshReason, TokenRefreshEvent } from '@tokenflight/core'
import type { OAuthSimulator } from '@tokenflight/testing'
import { SettingError } from './settings.js'

/** Prints each refresh as it happens and counts them, from a refresher's `onEvent`. */
export interface RunLog {
  /** Pass it as `onEvent` to `createTokenRefresher`. */
  readonly onEvent: (event: TokenRefreshEvent) => void
  /** Refreshes that succeeded, by reason. */
  readonly refreshes: Readonly<Record<RefreshReason, number>>
  readonly failedRefreshes: number
  /** 401s that came back for a token already replaced, answered with the current one and no refresh. */
  readonly lateUnauthorized: number
  /** Milliseconds since the log was created. */
  elapsedMs(): number
  /** Resolves once no refresh is running, such as a background refresh the last requests started. */
  settled(): Promise<void>
}

const reasons: Record<RefreshReason, string> = {
  missing: 'no token yet',
  expired: 'token expiring',
  background: 'background, token half-way',
  unauthorized: 'after a 401',
  forced: 'forced',
}

/**
 * Creates a log that prints one line per refresh, failure or lost session, with the time since the start.
 *
 * @example
 * const log = createRunLog()
 * const refresher = createTokenRefresher({ refresh, onEvent: log.onEvent })
 */
export function createRunLog(): RunLog {
  const startedAt = performance.now()
  const refreshes: Record<RefreshReason, number> = {
    missing: 0,
    expired: 0,
    background: 0,
    unauthorized: 0,
    forced: 0,
  }
  let succeeded = 0
  let failedRefreshes = 0
  let lateUnauthorized = 0
  let running = 0
  let whenSettled: (() => void) | undefined
  const finished = () => {
    if (--running === 0) whenSettled?.()
  }
  const elapsedMs = () => performance.now() - startedAt
  const print = (text: string) =>
    console.log(`${(elapsedMs() / 1000).toFixed(2).padStart(6)} s  ${text}`)

  return {
    refreshes,
    get failedRefreshes() {
      return failedRefreshes
    },
    get lateUnauthorized() {
      return lateUnauthorized
    },
    elapsedMs,
    settled: () =>
      running === 0
        ? Promise.resolve()
        : new Promise((resolve) => {
            whenSettled = resolve
          }),
    onEvent: (event) => {
      switch (event.type) {
        case 'refresh-started':
          running++
          return
        case 'refresh-succeeded': {
          finished()
          if (event.superseded) return
          refreshes[event.reason]++
          const rotated = event.refreshTokenRotated ? ', new refresh token' : ''
          const took = Math.round(event.durationMs)
          print(`refresh #${++succeeded} (${reasons[event.reason]}) took ${took} ms${rotated}`)
          return
        }
        case 'refresh-failed':
          finished()
          failedRefreshes++
          print(`refresh failed (${reasons[event.reason]}): ${describeError(event.error)}`)
          return
        case 'stale-unauthorized':
          lateUnauthorized++
          return
        case 'session-expired':
          print('session expired: sign in again')
          return
        case 'store-failed':
          print(`token store failed to ${event.operation}: ${describeError(event.error)}`)
          return
      }
    },
  }
}

/** What a run did, for {@link reportRun}. */
export interface RunSummary {
  requests: number
  failedRequests?: number
  log: RunLog
  /** With the simulated provider, the counters the run is checked against. */
  simulator: OAuthSimulator | undefined
  /** The simulated access token lifetime, for the expected number of refreshes. */
  accessTokenLifetimeMs?: number
  /** The simulated API must never answer 401: tokens are always replaced before they expire. Default false. */
  expectNoUnauthorized?: boolean
  /** Lines to print after the counts, such as where the tokens were persisted. */
  notes?: string[]
}

/**
 * Prints what a run did and, on the simulated provider, checks it: no failed request, no failed refresh, every token
 * request made by one single-flight refresh, no refresh token used twice, and about one refresh per token lifetime.
 * Sets a non-zero exit code when a check fails.
 *
 * @example
 * await reportRun({ requests, log, simulator: provider.simulator, accessTokenLifetimeMs: 1_000 })
 */
export async function reportRun(summary: RunSummary): Promise<void> {
  const { requests, failedRequests = 0, log, simulator, accessTokenLifetimeMs } = summary
  const elapsedMs = log.elapsedMs()
  await log.settled()
  const refreshes = Object.values(log.refreshes).reduce((sum, count) => sum + count, 0)
  const byReason = (Object.entries(log.refreshes) as [RefreshReason, number][])
    .filter(([, count]) => count > 0)
    .map(([reason, count]) => `${count} ${reason}`)
    .join(', ')

  console.log('')
  console.log(`Requests sent:    ${requests}, ${failedRequests} failed`)
  console.log(
    `Refreshes made:   ${refreshes}${byReason === '' ? '' : ` (${byReason})`} in ${(elapsedMs / 1000).toFixed(1)} s`,
  )
  if (simulator !== undefined) {
    const { refreshCalls, reusedRefreshTokens, unauthorizedResponses } = simulator.stats
    const replayed = unauthorizedResponses === 0 ? '' : ', replayed with the new token'
    console.log(`401s absorbed:    ${unauthorizedResponses}${replayed}${late(log)}`)
    console.log(
      `Provider saw:     ${refreshCalls} token requests, ${reusedRefreshTokens} refresh tokens used twice`,
    )
  } else {
    console.log(`Refreshed on 401: ${log.refreshes.unauthorized}${late(log)}`)
  }
  for (const note of summary.notes ?? []) console.log(note)

  const problems: string[] = []
  if (failedRequests > 0) problems.push(`${failedRequests} requests failed`)
  if (log.failedRefreshes > 0) problems.push(`${log.failedRefreshes} refreshes failed`)
  if (simulator !== undefined) {
    const { refreshCalls, reusedRefreshTokens } = simulator.stats
    if (refreshCalls !== refreshes + log.failedRefreshes) {
      problems.push(`the provider saw ${refreshCalls} token requests for ${refreshes} refreshes`)
    }
    if (reusedRefreshTokens > 0)
      problems.push(`${reusedRefreshTokens} refresh tokens were used twice`)
    if (summary.expectNoUnauthorized && simulator.stats.unauthorizedResponses > 0) {
      problems.push(
        `${simulator.stats.unauthorizedResponses} requests were sent with an expired token`,
      )
    }
    if (accessTokenLifetimeMs !== undefined) {
      // Each token is refreshed once, between half its life (background window) and its expiry; one early
      // rejection by the provider may add one.
      const fewest = Math.floor(elapsedMs / accessTokenLifetimeMs)
      const most = Math.ceil(elapsedMs / (accessTokenLifetimeMs / 2)) + 2
      if (refreshes < fewest || refreshes > most) {
        problems.push(
          `${refreshes} refreshes, expected one per token lifetime: ${fewest} to ${most}`,
        )
      }
    }
  }
  if (problems.length > 0) {
    console.error(`Unexpected: ${problems.join('; ')}`)
    process.exitCode = 1
  } else if (simulator !== undefined) {
    console.log(
      'As expected: no failed request, one refresh per token, no refresh token used twice',
    )
  }
}

function late(log: RunLog): string {
  return log.lateUnauthorized === 0 ? '' : ` (${log.lateUnauthorized} late ones needed no refresh)`
}

/**
 * Prints an error as one clear line (its message, then each cause's) and sets the exit code: 2 for a setting, 1
 * otherwise.
 *
 * @example
 * main().catch(exitWithError)
 */
export function exitWithError(error: unknown): void {
  console.error(`Failed: ${describeError(error)}`)
  process.exitCode = error instanceof SettingError ? 2 : 1
}

/** An error's message followed by its causes' messages; never a property, which may hold a token. */
export function describeError(error: unknown): string {
  const messages: string[] = []
  let current = error
  for (let depth = 0; depth < 4 && current !== undefined; depth++) {
    messages.push(current instanceof Error ? current.message : String(current))
    current = current instanceof Error ? current.cause : undefined
  }
  return messages.join(': ')
}
