import { type Deadline, startDeadline } from './deadline.js'
import { SessionExpiredError, type TokenRefreshError } from './errors.js'
import type { EventReporter } from './event-reporter.js'
import type { RefreshReason } from './events.js'
import { classifyRefreshFailure } from './failure-classification.js'
import { attemptRefresh, type RefreshOutcome } from './refresh-attempt.js'
import type { RefreshBackoff } from './refresh-backoff.js'
import { refreshWindows } from './refresh-windows.js'
import type { ResolvedOptions } from './refresher-options.js'
import type { TokenPersistence } from './token-persistence.js'
import type { TokenSet } from './token-set.js'

/** What a refresh run reads and changes of the refresher it runs for. */
export interface RefreshRunHost {
  readonly options: ResolvedOptions
  readonly events: EventReporter
  readonly persistence: TokenPersistence
  /** Records each transient failure. */
  readonly backoff: RefreshBackoff<TokenRefreshError>
  /** Bumped whenever the tokens are replaced or cleared. */
  version(): number
  held(): TokenSet | undefined
  publish(tokens: TokenSet): void
  /** What the waiters of a run whose outcome is stale get: the tokens set meanwhile, or the session's end. */
  current(): TokenSet
  expireSession(error: SessionExpiredError): void
  /** Told the signal the refresh function runs with, then undefined once it settled. */
  onCall(signal: AbortSignal | undefined): void
}

// Why a refresh stopped waiting for the lock: tokens were published meanwhile. Never reaches a caller.
const outdatedReason = new Error('Tokens were published while the refresh waited for the lock')
const noop = () => {}

/**
 * One refresh, from `refresh-started` to `refresh-succeeded` or `refresh-failed`: it waits for the lock within its
 * deadline, or until tokens are published meanwhile, refreshes holding it, and hands its outcome to the refresher
 * unless newer tokens were set since. A late result, after the waiters got their timeout, is still published.
 */
export class RefreshRun {
  /** The refresher's version when the refresh started: if it moved, newer tokens were set and this outcome is stale. */
  readonly version: number
  /** The lock section once `settle` has started it: it may outlive the deadline (a late result), and never rejects. */
  section: Promise<unknown> = Promise.resolve()
  readonly #host: RefreshRunHost
  readonly #reason: RefreshReason
  // The tokens this refresh sets out to replace.
  readonly #previous: TokenSet | undefined
  readonly #startedAt: number
  // Set once new tokens are in hand: only their bounded write is left, so the deadline lets it finish.
  #obtained = false
  // Set once the run holds the lock; before that, tokens published meanwhile end its wait.
  #entered = false
  readonly #outdated = new AbortController()

  constructor(host: RefreshRunHost, reason: RefreshReason) {
    this.#host = host
    this.#reason = reason
    this.version = host.version()
    this.#previous = host.held()
    this.#startedAt = host.options.now()
  }

  /**
   * Ends the wait for the lock, if the run still waits: the tokens just published are its outcome. Once the run
   * holds the lock, or has ended, it changes nothing.
   */
  outdate(): void {
    if (!this.#entered) this.#outdated.abort(outdatedReason)
  }

  /** Runs the refresh and resolves to the tokens its waiters get, or rejects with their typed error. */
  async settle(): Promise<TokenSet> {
    const { events, options } = this.#host
    const { refreshTimeoutMs } = options
    events.emit({ type: 'refresh-started', reason: this.#reason })
    const deadline = startDeadline(
      refreshTimeoutMs,
      `Refresh did not settle within ${refreshTimeoutMs} ms`,
    )
    // Waiting for the lock counts toward the deadline, and ends early when a peer's tokens arrive meanwhile (behaviour
    // 19). The section itself may outlive the deadline: a refresh function that ignores its signal still holds the
    // lock, and its late result is persisted and published.
    const waitSignal = AbortSignal.any([deadline.signal, this.#outdated.signal])
    const exclusive = this.#host.persistence.lock(async () => {
      if (waitSignal.aborted) throw waitSignal.reason
      this.#entered = true
      return this.#succeed(await this.#attempt(deadline))
    }, waitSignal)
    this.section = exclusive.catch(noop)
    exclusive.catch((late: unknown) => {
      // A late `invalid_grant`, after the waiters got their timeout, still ends the session.
      if (deadline.signal.aborted && late instanceof SessionExpiredError) this.#endSession(late)
    })
    try {
      return await deadline.race(exclusive, () => this.#obtained)
    } catch (error) {
      if (!this.#outdated.signal.aborted || error !== outdatedReason) {
        return this.#fail(classifyRefreshFailure(error, options.isSessionExpired))
      }
      // Tokens published meanwhile are the outcome; tokens cleared meanwhile end the run as failed.
      let tokens: TokenSet
      try {
        tokens = this.#host.current()
      } catch (ended) {
        return this.#fail(classifyRefreshFailure(ended, options.isSessionExpired))
      }
      return this.#succeed({ tokens, adopted: true, late: false })
    } finally {
      deadline.dispose()
    }
  }

  #attempt(deadline: Deadline): Promise<RefreshOutcome> {
    const host = this.#host
    return attemptRefresh({
      previous: this.#previous,
      deadline,
      persistence: host.persistence,
      refresh: host.options.refresh,
      isSessionExpired: host.options.isSessionExpired,
      held: host.held,
      isCurrent: () => this.#isCurrent(),
      isDue: (tokens) => this.#isDue(tokens),
      onCall: host.onCall,
      onObtained: () => {
        this.#obtained = true
      },
    })
  }

  #isCurrent(): boolean {
    return this.version === this.#host.version()
  }

  // Whether tokens a peer left in the store are themselves due: then they are refreshed rather than taken.
  #isDue(tokens: TokenSet): boolean {
    const { options } = this.#host
    const now = options.now()
    return now >= refreshWindows(tokens.expiresAt, now, options).refreshAt
  }

  // Every refresh ends with `refresh-succeeded` or `refresh-failed`, whatever ended it.
  #succeed({ tokens, adopted, late }: RefreshOutcome): TokenSet {
    const host = this.#host
    const superseded = !this.#isCurrent()
    if (!superseded) host.publish(tokens)
    host.events.emit({
      type: 'refresh-succeeded',
      reason: this.#reason,
      durationMs: host.options.now() - this.#startedAt,
      expiresAt: tokens.expiresAt,
      refreshTokenRotated:
        tokens.refreshToken !== undefined && tokens.refreshToken !== this.#previous?.refreshToken,
      late,
      adopted,
      superseded,
    })
    return superseded ? host.current() : tokens
  }

  #fail(error: TokenRefreshError): TokenSet {
    const host = this.#host
    const now = host.options.now()
    const failed = {
      type: 'refresh-failed',
      reason: this.#reason,
      durationMs: now - this.#startedAt,
      error,
    } as const
    if (!this.#isCurrent() || error instanceof SessionExpiredError) {
      host.events.emit(failed)
      // Asked again: a listener of the event may have set tokens.
      if (!this.#isCurrent()) return host.current()
      this.#endSession(error as SessionExpiredError)
      throw error
    }
    host.events.emit({ ...failed, retryAt: host.backoff.record(error, now) })
    throw error
  }

  #endSession(error: SessionExpiredError): void {
    if (this.#isCurrent()) this.#host.expireSession(error)
  }
}
