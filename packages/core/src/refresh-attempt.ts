import type { Deadline } from './deadline.js'
import { RefreshFailedError, SessionExpiredError } from './errors.js'
import { classifyRefreshFailure } from './failure-classification.js'
import { isSameSession, peerEndedSession } from './peer-tokens.js'
import { markRefreshSignal } from './refresh-signal.js'
import type { RefreshFunction } from './refresher-options.js'
import type { TokenPersistence } from './token-persistence.js'
import { describeInvalidTokenSet, type TokenSet } from './token-set.js'

/** How a refresh that held the lock ended: with tokens it obtained and persisted, or with a peer's that it took. */
export interface RefreshOutcome {
  tokens: TokenSet
  /** No token endpoint was called: a peer sharing the store had already replaced the tokens. */
  adopted: boolean
  /** The refresh function settled after the deadline, when its waiters had already been told. */
  late: boolean
}

/** One refresh, as the coordinator hands it over: what it replaces, its deadline, and what it may ask. */
export interface RefreshAttempt {
  /** The tokens this refresh sets out to replace. */
  previous: TokenSet | undefined
  deadline: Deadline
  persistence: TokenPersistence
  refresh: RefreshFunction
  isSessionExpired: (error: unknown) => boolean
  /** The tokens the refresher holds now, which a store that is not shared mirrors. */
  held: () => TokenSet | undefined
  /** False once tokens were set, cleared or adopted since the refresh began: its outcome would be stale. */
  isCurrent: () => boolean
  /** Whether tokens are due for a refresh themselves, by the refresher's windows. */
  isDue: (tokens: TokenSet) => boolean
  /** Told the signal the refresh function runs with, then undefined once it settled. */
  onCall: (signal: AbortSignal | undefined) => void
  /** Told once new tokens are in hand and only their (bounded) write is left. */
  onObtained: () => void
}

/**
 * Runs one refresh holding the lock: re-reads what a peer may have written, calls the token endpoint only if
 * nobody did, and persists what it gets before it returns. An `invalid_grant` looks again before it ends the
 * session, and then clears the store while the lock is still held, so that no peer starts from it.
 */
export async function attemptRefresh(attempt: RefreshAttempt): Promise<RefreshOutcome> {
  const { deadline, persistence, previous } = attempt
  // The lock may be granted after the callers gave up: a refresh nobody waits for must not start.
  if (deadline.signal.aborted) throw deadline.signal.reason
  // Read in the caller's turn when memory is the truth, so that the refresh function is called at once.
  const current = persistence.shared ? await persistence.read() : attempt.held()
  // A peer replaced the tokens this refresh set out to replace: take theirs, unless they are due themselves (after a
  // long wait for the lock, say), in which case they are what this refresh replaces.
  if (!isSameSession(current, previous) && (current === undefined || !attempt.isDue(current))) {
    return adoptPeerTokens(current)
  }
  let result: TokenSet
  try {
    result = await callRefreshFunction(attempt, current)
  } catch (error) {
    const typed = classifyRefreshFailure(error, attempt.isSessionExpired)
    if (!(typed instanceof SessionExpiredError)) throw typed
    const latest = await latestTokens(attempt)
    if (latest !== undefined && !isSameSession(latest, current)) return adoptPeerTokens(latest)
    if (attempt.isCurrent()) await persistence.write(undefined)
    throw typed
  }
  const next = withKeptRefreshToken(current, result)
  const late = deadline.signal.aborted
  if (attempt.isCurrent()) {
    attempt.onObtained()
    const write = persistence.write(next)
    // Within the deadline a hung store is waited for no longer than the deadline; a late result waits for the
    // store's own bound, since nobody is waiting for it and the store should have it.
    await (late ? write : Promise.race([write, aborted(deadline.signal)]))
  }
  return { tokens: next, adopted: false, late }
}

function adoptPeerTokens(current: TokenSet | undefined): RefreshOutcome {
  if (current === undefined) {
    throw peerEndedSession()
  }
  return { tokens: current, adopted: true, late: false }
}

async function callRefreshFunction(
  attempt: RefreshAttempt,
  tokens: TokenSet | undefined,
): Promise<TokenSet> {
  const { signal } = attempt.deadline
  markRefreshSignal(signal)
  attempt.onCall(signal)
  try {
    const result = await new Promise<unknown>((resolve) =>
      resolve(attempt.refresh({ tokens, signal })),
    )
    const problem = describeInvalidTokenSet(result)
    if (problem !== undefined) {
      throw new RefreshFailedError(`Refresh function resolved an invalid token set: ${problem}`)
    }
    return result as TokenSet
  } finally {
    attempt.onCall(undefined)
  }
}

// What a peer may have written since: the store, when it is shared; memory otherwise, which a store that is not
// shared only mirrors, and may lag behind while a write is pending or failed.
function latestTokens(
  attempt: RefreshAttempt,
): TokenSet | undefined | Promise<TokenSet | undefined> {
  return attempt.persistence.shared ? attempt.persistence.read() : attempt.held()
}

function aborted(signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal.aborted) resolve()
    else signal.addEventListener('abort', () => resolve(), { once: true })
  })
}

// A token response without a refresh token means the old one stays valid (RFC 6749, section 6).
function withKeptRefreshToken(previous: TokenSet | undefined, result: TokenSet): TokenSet {
  const next = { ...result }
  if (next.refreshToken === undefined && previous?.refreshToken !== undefined) {
    next.refreshToken = previous.refreshToken
  }
  return Object.freeze(next)
}
