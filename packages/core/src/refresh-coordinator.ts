import { waitAtMost } from './deadline.js'
import type { DPoPHandle } from './dpop-handle.js'
import { SessionExpiredError, type TokenRefreshError } from './errors.js'
import { createEventReporter, type EventReporter } from './event-reporter.js'
import type { RefreshReason } from './events.js'
import { freshAccessTokenKey, type HasFreshAccessToken } from './fresh-access-token.js'
import { readPeerAnnouncement } from './peer-tokens.js'
import { RefreshBackoff } from './refresh-backoff.js'
import { RefreshRun, type RefreshRunHost } from './refresh-run.js'
import { refreshWindows } from './refresh-windows.js'
import { capitalize, type ResolvedOptions } from './refresher-options.js'
import { TokenPersistence } from './token-persistence.js'
import type { TokenRefresher, WaitOptions } from './token-refresher.js'
import { describeInvalidTokenSet, describeKind, type TokenSet } from './token-set.js'
import { waitFor } from './wait-for.js'

/**
 * The one refresh that is running: its outcome, and the access token of that outcome, derived once so
 * that thousands of callers waiting for a token share one reaction instead of one each.
 */
interface InFlightRefresh {
  tokens: Promise<TokenSet>
  accessToken: Promise<string>
  /** Once tokens were published since it started, its outcome is out and new needs start anew. */
  run: RefreshRun
}

const inspectSymbol = Symbol.for('nodejs.util.inspect.custom')
const noop = () => {}

/**
 * Keeps one set of tokens fresh: decides from the windows whether a caller gets the current token, waits for the
 * one refresh in flight, or starts it, and publishes every change of tokens. Each refresh is a `RefreshRun` (the
 * lock, the deadline, a peer's tokens, late results); the store is reached through `TokenPersistence`.
 */
export class RefreshCoordinator implements TokenRefresher, HasFreshAccessToken {
  readonly #options: ResolvedOptions
  readonly #events: EventReporter
  readonly #persistence: TokenPersistence
  readonly #runHost: RefreshRunHost
  #tokens: TokenSet | undefined
  // Derived from #tokens when they are published, so that a call on a fresh token makes one comparison.
  #refreshAt = Number.POSITIVE_INFINITY
  #backgroundRefreshAt = Number.POSITIVE_INFINITY
  // Bumped whenever #tokens is replaced or cleared.
  #version = 0
  #inFlightRefresh: InFlightRefresh | undefined
  // The lock section of the last refresh, which may outlive the refresh's deadline (a late result).
  #lastSection: Promise<unknown> = Promise.resolve()
  // The signal handed to the running refresh function, to recognize it when it asks for a token.
  #refreshSignal: AbortSignal | undefined
  #sessionExpiredError: SessionExpiredError | undefined
  readonly #backoff: RefreshBackoff<TokenRefreshError>

  constructor(options: ResolvedOptions) {
    this.#options = options
    this.#events = createEventReporter(options.onEvent, options.onSessionExpired)
    this.#backoff = new RefreshBackoff(options)
    this.#persistence = new TokenPersistence(
      options.store,
      options.refreshTimeoutMs,
      this.#events.storeFailed,
      (stored) => this.#applyLoaded(stored),
    )
    this.#runHost = {
      options,
      events: this.#events,
      persistence: this.#persistence,
      backoff: this.#backoff,
      version: () => this.#version,
      held: () => this.#tokens,
      publish: (tokens) => this.#publish(tokens),
      current: () => this.#current(),
      expireSession: (error) => this.#expireSession(error),
      onCall: (signal) => {
        this.#refreshSignal = signal
      },
    }
    if (this.#persistence.loaded && options.initialTokens !== undefined)
      this.#publish(Object.freeze({ ...options.initialTokens }))
    // At once, not at first use: a tab that has not asked for a token yet must still hear of a sign-out elsewhere.
    this.#persistence.listen((tokens) => this.#hearPeer(tokens))
  }

  getAccessToken(options?: WaitOptions): Promise<string> {
    const fresh = this[freshAccessTokenKey]()
    if (fresh !== undefined) return Promise.resolve(fresh)
    return this.#persistence.afterLoading(options?.signal, (signal) =>
      this.#currentAccessToken(signal),
    )
  }

  /**
   * The access token when `getAccessToken` would hand it out at once, with no refresh to start or wait for: for the
   * pool, which then has no work of the session's to track, and for the adapters' hot path.
   */
  [freshAccessTokenKey](): string | undefined {
    const tokens = this.#tokens
    return tokens !== undefined && this.#options.now() < this.#backgroundRefreshAt
      ? tokens.accessToken
      : undefined
  }

  refreshAfterUnauthorized(rejectedAccessToken: string, options?: WaitOptions): Promise<string> {
    if (typeof rejectedAccessToken !== 'string') {
      return Promise.reject(
        new TypeError(
          `Expected \`rejectedAccessToken\` to be a string, got ${describeKind(rejectedAccessToken)}`,
        ),
      )
    }
    return this.#persistence.afterLoading(options?.signal, (signal) =>
      this.#answerUnauthorized(rejectedAccessToken, signal),
    )
  }

  refresh(options?: WaitOptions): Promise<TokenSet> {
    return this.#persistence.afterLoading(options?.signal, (signal) => {
      this.#throwIfSessionExpired()
      return this.#joinRefresh('forced', signal, 'tokens')
    })
  }

  getTokens(): TokenSet | undefined {
    return this.#tokens
  }

  get dpop(): DPoPHandle | undefined {
    return this.#options.dpop
  }

  async setTokens(tokens: TokenSet): Promise<void> {
    const problem = describeInvalidTokenSet(tokens, 'tokens')
    if (problem !== undefined) throw new TypeError(capitalize(problem))
    const next = Object.freeze({ ...tokens })
    this.#persistence.markLoaded()
    this.#sessionExpiredError = undefined
    this.#publish(next)
    const failure = await this.#persistence.write(next)
    if (failure !== undefined) throw failure.error
  }

  async clear(): Promise<void> {
    this.#persistence.markLoaded()
    this.#publish(undefined)
    const failure = await this.#persistence.write(undefined)
    if (failure !== undefined) throw failure.error
  }

  settled(): Promise<void> {
    const refreshing = Promise.allSettled([this.#inFlightRefresh?.tokens, this.#lastSection])
    return waitAtMost(
      this.#options.refreshTimeoutMs,
      refreshing.then(() => this.#persistence.writesSettled()),
    )
  }

  [inspectSymbol](): string {
    const state = this.#sessionExpiredError
      ? 'session expired'
      : this.#tokens === undefined
        ? 'no tokens'
        : `expiresAt: ${this.#tokens.expiresAt ?? 'unknown'}`
    return `TokenRefresher { ${state}${this.#inFlightRefresh ? ', refreshing' : ''} }`
  }

  #answerUnauthorized(rejectedAccessToken: string, signal: AbortSignal | undefined) {
    this.#throwIfSessionExpired()
    const tokens = this.#tokens
    if (tokens !== undefined && tokens.accessToken !== rejectedAccessToken) {
      this.#events.emit({ type: 'stale-unauthorized' })
      return this.#currentAccessToken(signal)
    }
    // The API rejected this token: nobody gets it again, every caller waits for its replacement.
    this.#refreshAt = Number.NEGATIVE_INFINITY
    this.#backgroundRefreshAt = Number.NEGATIVE_INFINITY
    return this.#joinRefresh(
      tokens === undefined ? 'missing' : 'unauthorized',
      signal,
      'accessToken',
    )
  }

  #currentAccessToken(signal: AbortSignal | undefined): string | Promise<string> {
    this.#throwIfSessionExpired()
    const tokens = this.#tokens
    if (tokens === undefined) return this.#joinRefresh('missing', signal, 'accessToken')
    const now = this.#options.now()
    if (this.#mustRefresh(now)) {
      const reason = this.#refreshAt === Number.NEGATIVE_INFINITY ? 'unauthorized' : 'expired'
      return this.#joinRefresh(reason, signal, 'accessToken')
    }
    if (this.#shouldRefresh(now)) this.#startRefresh('background')
    return tokens.accessToken
  }

  #mustRefresh(now: number): boolean {
    return now >= this.#refreshAt
  }

  #shouldRefresh(now: number): boolean {
    return (
      now >= this.#backgroundRefreshAt &&
      this.#joinableRefresh() === undefined &&
      this.#backoff.allowsBackgroundRefresh(now)
    )
  }

  #throwIfSessionExpired(): void {
    if (this.#sessionExpiredError !== undefined) throw this.#sessionExpiredError
  }

  // Waits for the running refresh, or starts one; or refuses at once, with what the caller is to reject with.
  #joinRefresh<Key extends 'tokens' | 'accessToken'>(
    reason: RefreshReason,
    signal: AbortSignal | undefined,
    outcome: Key,
  ): InFlightRefresh[Key] {
    const refusal = this.#refusal(signal)
    if (refusal !== undefined) return refusal as Promise<unknown> as InFlightRefresh[Key]
    const refresh = this.#joinableRefresh() ?? this.#startRefresh(reason)
    return waitFor(refresh[outcome] as Promise<unknown>, signal) as InFlightRefresh[Key]
  }

  #refusal(signal: AbortSignal | undefined): Promise<never> | undefined {
    // A caller that has already given up must not start a refresh nobody waits for.
    if (signal?.aborted) return Promise.reject(signal.reason)
    if (signal !== undefined && signal === this.#refreshSignal) {
      // The refresh function is asking for a token, which would wait for itself until the timeout.
      return Promise.reject(
        new TypeError(
          'The refresh function asked the refresher for an access token, which waits for that very refresh: send the token request without one',
        ),
      )
    }
    if (this.#joinableRefresh() !== undefined) return undefined
    // Inside the back-off after a transient failure, the token endpoint is not asked again: fail fast.
    const failure = this.#backoff.failureAt(this.#options.now())
    return failure === undefined ? undefined : Promise.reject(failure)
  }

  // The running refresh, unless it has already published its outcome and only its waiters are left to resume.
  #joinableRefresh(): InFlightRefresh | undefined {
    const inFlight = this.#inFlightRefresh
    return inFlight?.run.version === this.#version ? inFlight : undefined
  }

  #startRefresh(reason: RefreshReason): InFlightRefresh {
    const run = new RefreshRun(this.#runHost, reason)
    let settle!: (outcome: Promise<TokenSet>) => void
    const refresh = new Promise<TokenSet>((resolve) => {
      settle = resolve
    }).finally(() => {
      if (this.#inFlightRefresh === inFlight) this.#inFlightRefresh = undefined
    })
    const inFlight: InFlightRefresh = {
      tokens: refresh,
      accessToken: refresh.then((tokens) => tokens.accessToken),
      run,
    }
    // Recorded before the refresh function runs: if it, or an event listener, asks for a token
    // before its first await, it must join this refresh rather than start another.
    this.#inFlightRefresh = inFlight
    // Nobody may be left to handle a failure: a background refresh, or one whose waiters all aborted.
    refresh.catch(noop)
    inFlight.accessToken.catch(noop)
    settle(run.settle())
    this.#lastSection = run.section
    return inFlight
  }

  // What the waiters of a refresh whose outcome is stale get: the tokens set meanwhile, or the session's end.
  #current(): TokenSet {
    this.#throwIfSessionExpired()
    if (this.#tokens !== undefined) return this.#tokens
    throw new SessionExpiredError('Tokens were cleared while a refresh was running')
  }

  #expireSession(error: SessionExpiredError): void {
    this.#sessionExpiredError = error
    this.#publish(undefined)
    this.#events.sessionExpired(error)
  }

  #applyLoaded(stored: TokenSet | undefined): void {
    const tokens = stored ?? this.#options.initialTokens
    if (tokens !== undefined) this.#publish(Object.freeze({ ...tokens }))
  }

  // Tokens another refresher sharing the store set, rotated or cleared: adopted without a token call.
  #hearPeer(announced: TokenSet | undefined): void {
    const expired = this.#sessionExpiredError !== undefined
    const heard = readPeerAnnouncement(announced, this.#tokens, expired)
    if (heard.action === 'end-session') {
      this.#expireSession(heard.error)
    } else if (heard.action === 'report') {
      this.#events.storeFailed('subscribe', heard.error)
    } else if (heard.action === 'adopt') {
      this.#sessionExpiredError = undefined
      this.#publish(heard.tokens)
      this.#events.emit({ type: 'tokens-adopted' })
    }
  }

  // Every change of tokens goes through here: a new version, no back-off, and the windows of the new token.
  #publish(tokens: TokenSet | undefined): void {
    // A refresh still waiting for the lock has nothing left to wait for.
    this.#inFlightRefresh?.run.outdate()
    this.#version++
    this.#tokens = tokens
    this.#backoff.reset()
    const windows = refreshWindows(tokens?.expiresAt, this.#options.now(), this.#options)
    this.#refreshAt = windows.refreshAt
    this.#backgroundRefreshAt = windows.backgroundRefreshAt
  }
}
