import { type Deadline, startDeadline } from './deadline.js'
import { RefreshFailedError, SessionExpiredError, type TokenRefreshError } from './errors.js'
import type { RefreshReason, TokenRefreshEvent } from './events.js'
import { classifyRefreshFailure } from './failure-classification.js'
import { createLocalLock, type Lock } from './local-lock.js'
import { backoffDelayMs, readRetryAfterMs } from './refresh-backoff.js'
import { markRefreshSignal } from './refresh-signal.js'
import { refreshWindows } from './refresh-windows.js'
import {
  capitalize,
  type ResolvedOptions,
  resolveOptions,
  type TokenRefresherOptions,
} from './refresher-options.js'
import { type StoreOperation, TokenPersistence } from './token-persistence.js'
import { describeInvalidTokenSet, describeKind, type TokenSet } from './token-set.js'
import { waitFor } from './wait-for.js'

/** Lets one caller stop waiting; a refresh shared with others goes on for them. */
export interface WaitOptions {
  signal?: AbortSignal
}

/**
 * Keeps one set of tokens fresh for any number of concurrent callers, with at most one refresh at a time.
 */
export interface TokenRefresher {
  /** Resolves a valid access token: the current one, or the one a refresh (shared with every other caller) brings. */
  getAccessToken(options?: WaitOptions): Promise<string>
  /**
   * Answers a 401 for `rejectedAccessToken`, the token that request was sent with: refreshes if it is still the
   * current token, and otherwise resolves the current one without a refresh (the 401 is stale).
   */
  refreshAfterUnauthorized(rejectedAccessToken: string, options?: WaitOptions): Promise<string>
  /** Refreshes now, or joins the refresh that is already running. */
  refresh(options?: WaitOptions): Promise<TokenSet>
  /** The tokens held now, frozen; undefined before a store has been read, after `clear()` or once the session expired. */
  getTokens(): TokenSet | undefined
  /** Replaces the tokens (after a sign-in, say), ends a session-expired state, and resolves once the store has them. */
  setTokens(tokens: TokenSet): Promise<void>
  /** Forgets the tokens (on sign-out), in memory at once and in the store by the time it resolves. */
  clear(): Promise<void>
}

interface RefreshRun {
  reason: RefreshReason
  /** Set once new tokens are in hand: only their bounded write is left, so the deadline lets it finish. */
  obtained: boolean
  /** `#version` when the refresh started: if it moved, newer tokens were set and this run's outcome is stale. */
  version: number
  /** The tokens this refresh sets out to replace. */
  previous: TokenSet | undefined
  startedAt: number
}

/**
 * The one refresh that is running: its outcome, and the access token of that outcome, derived once so
 * that thousands of callers waiting for a token share one reaction instead of one each.
 */
interface InFlightRefresh {
  tokens: Promise<TokenSet>
  accessToken: Promise<string>
  /** `#version` when it started: once tokens were published since, its outcome is out and new needs start anew. */
  version: number
}

/** Transient failures in a row, and until when callers that need a refresh fail fast with the last one. */
interface Backoff {
  error: TokenRefreshError
  failures: number
  retryAt: number
}

const inspectSymbol = Symbol.for('nodejs.util.inspect.custom')
const noop = () => {}

/**
 * Creates the single-flight coordinator that every tokenflight adapter calls.
 *
 * @example
 * const refresher = createTokenRefresher({
 *   initialTokens: await loadTokens(),
 *   refresh: async ({ tokens, signal }) => {
 *     const response = await fetch(tokenUrl, {
 *       method: 'POST',
 *       body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens?.refreshToken ?? '', client_id }),
 *       signal,
 *     })
 *     return parseTokenResponse(await response.json())
 *   },
 *   onSessionExpired: () => showSignIn(),
 * })
 */
export function createTokenRefresher(options: TokenRefresherOptions): TokenRefresher {
  return new SingleFlightTokenRefresher(resolveOptions(options))
}

class SingleFlightTokenRefresher implements TokenRefresher {
  readonly #options: ResolvedOptions
  readonly #persistence: TokenPersistence
  // The store's own lock when it is shared with other refreshers, an in-process one otherwise.
  readonly #lock: Lock
  #tokens: TokenSet | undefined
  // Derived from #tokens when they are published, so that a call on a fresh token makes one comparison.
  #refreshAt = Number.POSITIVE_INFINITY
  #backgroundRefreshAt = Number.POSITIVE_INFINITY
  #backgroundRetryAt = 0
  // Bumped whenever #tokens is replaced or cleared.
  #version = 0
  #inFlightRefresh: InFlightRefresh | undefined
  // The signal handed to the running refresh function, to recognize it when it asks for a token.
  #refreshSignal: AbortSignal | undefined
  #sessionExpiredError: SessionExpiredError | undefined
  #backoff: Backoff | undefined
  #subscribed = false
  // What a peer announced while the store was first read, applied once that read is done.
  #peerTokensDuringLoad: { tokens: TokenSet | undefined } | undefined

  constructor(options: ResolvedOptions) {
    this.#options = options
    this.#persistence = new TokenPersistence(
      options.store,
      options.refreshTimeoutMs,
      (operation, error) => this.#reportStoreFailure(operation, error),
    )
    this.#lock = this.#persistence.shared
      ? (critical, signal) => this.#persistence.lock(critical, signal)
      : createLocalLock()
    if (this.#persistence.loaded && options.initialTokens !== undefined)
      this.#publish(Object.freeze({ ...options.initialTokens }))
  }

  getAccessToken(options?: WaitOptions): Promise<string> {
    const tokens = this.#tokens
    if (tokens !== undefined && this.#options.now() < this.#backgroundRefreshAt) {
      return Promise.resolve(tokens.accessToken)
    }
    return this.#afterLoading(options?.signal, (signal) => this.#currentAccessToken(signal))
  }

  refreshAfterUnauthorized(rejectedAccessToken: string, options?: WaitOptions): Promise<string> {
    if (typeof rejectedAccessToken !== 'string') {
      return Promise.reject(
        new TypeError(
          `Expected \`rejectedAccessToken\` to be a string, got ${describeKind(rejectedAccessToken)}`,
        ),
      )
    }
    return this.#afterLoading(options?.signal, (signal) =>
      this.#answerUnauthorized(rejectedAccessToken, signal),
    )
  }

  refresh(options?: WaitOptions): Promise<TokenSet> {
    return this.#afterLoading(options?.signal, (signal) => {
      this.#throwIfSessionExpired()
      return this.#joinRefresh('forced', signal, 'tokens')
    })
  }

  getTokens(): TokenSet | undefined {
    return this.#tokens
  }

  async setTokens(tokens: TokenSet): Promise<void> {
    const problem = describeInvalidTokenSet(tokens, 'tokens')
    if (problem !== undefined) throw new TypeError(capitalize(problem))
    const next = Object.freeze({ ...tokens })
    this.#persistence.markLoaded()
    this.#listenToPeers()
    this.#sessionExpiredError = undefined
    this.#backoff = undefined
    this.#publish(next)
    const failure = await this.#persistence.write(next)
    if (failure !== undefined) throw failure.error
  }

  async clear(): Promise<void> {
    this.#persistence.markLoaded()
    this.#listenToPeers()
    this.#backoff = undefined
    this.#publish(undefined)
    const failure = await this.#persistence.write(undefined)
    if (failure !== undefined) throw failure.error
  }

  [inspectSymbol](): string {
    const state = this.#sessionExpiredError
      ? 'session expired'
      : this.#tokens === undefined
        ? 'no tokens'
        : `expiresAt: ${this.#tokens.expiresAt ?? 'unknown'}`
    return `TokenRefresher { ${state}${this.#inFlightRefresh ? ', refreshing' : ''} }`
  }

  // Runs `next` once the store has been read. Not an async function: a caller waiting for a refresh
  // then costs one promise reaction rather than a suspended async frame, which counts with thousands.
  #afterLoading<T>(
    signal: AbortSignal | undefined,
    next: (signal: AbortSignal | undefined) => T | Promise<T>,
  ): Promise<T> {
    if (!this.#persistence.loaded) {
      this.#listenToPeers()
      const loading = this.#persistence.load((stored) => this.#applyLoaded(stored))
      return waitFor(loading, signal).then(() => next(signal))
    }
    try {
      return Promise.resolve(next(signal))
    } catch (error) {
      return Promise.reject(error)
    }
  }

  #answerUnauthorized(
    rejectedAccessToken: string,
    signal: AbortSignal | undefined,
  ): string | Promise<string> {
    this.#throwIfSessionExpired()
    const tokens = this.#tokens
    if (tokens !== undefined && tokens.accessToken !== rejectedAccessToken) {
      this.#emit({ type: 'stale-unauthorized' })
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
      now >= this.#backgroundRetryAt &&
      this.#joinableRefresh() === undefined &&
      !this.#backingOff(now)
    )
  }

  #backingOff(now: number): boolean {
    return this.#backoff !== undefined && now < this.#backoff.retryAt
  }

  #throwIfSessionExpired(): void {
    if (this.#sessionExpiredError !== undefined) throw this.#sessionExpiredError
  }

  // Waits for the running refresh, or starts one; or refuses at once, with what the caller is to reject with.
  #joinRefresh<Key extends keyof InFlightRefresh>(
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
    // Inside the back-off after a transient failure, the token endpoint is not asked again: fail fast.
    if (this.#joinableRefresh() === undefined && this.#backingOff(this.#options.now())) {
      return Promise.reject((this.#backoff as Backoff).error)
    }
    return undefined
  }

  // The running refresh, unless it has already published its outcome and only its waiters are left to resume.
  #joinableRefresh(): InFlightRefresh | undefined {
    const inFlight = this.#inFlightRefresh
    return inFlight?.version === this.#version ? inFlight : undefined
  }

  #startRefresh(reason: RefreshReason): InFlightRefresh {
    let settle!: (outcome: Promise<TokenSet>) => void
    const refresh = new Promise<TokenSet>((resolve) => {
      settle = resolve
    }).finally(() => {
      if (this.#inFlightRefresh === inFlight) this.#inFlightRefresh = undefined
    })
    const inFlight: InFlightRefresh = {
      tokens: refresh,
      accessToken: refresh.then((tokens) => tokens.accessToken),
      version: this.#version,
    }
    // Recorded before the refresh function runs: if it, or an event listener, asks for a token
    // before its first await, it must join this refresh rather than start another.
    this.#inFlightRefresh = inFlight
    // Nobody may be left to handle a failure: a background refresh, or one whose waiters all aborted.
    refresh.catch(noop)
    inFlight.accessToken.catch(noop)
    settle(this.#runRefresh(reason))
    return inFlight
  }

  async #runRefresh(reason: RefreshReason): Promise<TokenSet> {
    const run: RefreshRun = {
      reason,
      obtained: false,
      version: this.#version,
      previous: this.#tokens,
      startedAt: this.#options.now(),
    }
    this.#emit({ type: 'refresh-started', reason })
    const { refreshTimeoutMs } = this.#options
    const deadline = startDeadline(
      refreshTimeoutMs,
      `Refresh did not settle within ${refreshTimeoutMs} ms`,
    )
    // Waiting for the lock counts toward the deadline. The section itself may outlive it: a refresh function
    // that ignores its signal still holds the lock, and its late result is persisted and published.
    const exclusive = this.#lock(() => this.#refreshExclusively(run, deadline), deadline.signal)
    exclusive.catch((late: unknown) => {
      // A late `invalid_grant`, after the waiters got their timeout, still ends the session.
      if (deadline.signal.aborted && late instanceof SessionExpiredError)
        this.#endSession(run, late)
    })
    try {
      return await deadline.race(exclusive, () => run.obtained)
    } catch (error) {
      return this.#fail(run, classifyRefreshFailure(error, this.#options.isSessionExpired))
    } finally {
      deadline.dispose()
    }
  }

  // Runs holding the lock: re-reads what a peer may have written, and calls the token endpoint only if nobody did.
  async #refreshExclusively(run: RefreshRun, deadline: Deadline): Promise<TokenSet> {
    // The lock may be granted after the callers gave up: a refresh nobody waits for must not start.
    if (deadline.signal.aborted) throw deadline.signal.reason
    const current = this.#persistence.shared ? await this.#persistence.read() : this.#tokens
    if (!isSameSession(current, run.previous)) return this.#adoptCurrent(run, current)
    let result: TokenSet
    try {
      result = await this.#callRefreshFunction(current, deadline.signal)
    } catch (error) {
      const typed = classifyRefreshFailure(error, this.#options.isSessionExpired)
      if (!(typed instanceof SessionExpiredError)) throw typed
      // The refresh token was rejected; unless a peer rotated it meanwhile, the session ends here, and in the
      // store while the lock is still held, so that no peer starts from it.
      const latest = await this.#latestTokens(current)
      if (latest !== undefined && !isSameSession(latest, current)) {
        return this.#adoptCurrent(run, latest)
      }
      if (run.version === this.#version) await this.#persistence.write(undefined)
      throw typed
    }
    return this.#adopt(run, withKeptRefreshToken(current, result), deadline)
  }

  async #callRefreshFunction(tokens: TokenSet | undefined, signal: AbortSignal): Promise<TokenSet> {
    markRefreshSignal(signal)
    this.#refreshSignal = signal
    try {
      const result = await new Promise<unknown>((resolve) =>
        resolve(this.#options.refresh({ tokens, signal })),
      )
      const problem = describeInvalidTokenSet(result)
      if (problem !== undefined) {
        throw new RefreshFailedError(`Refresh function resolved an invalid token set: ${problem}`)
      }
      return result as TokenSet
    } finally {
      if (this.#refreshSignal === signal) this.#refreshSignal = undefined
    }
  }

  // What the store (or, without one, memory) holds now; after a failed read of a store that is not shared,
  // memory, which it mirrors. A shared store that cannot be read leaves the question open: transient.
  async #latestTokens(fallback: TokenSet | undefined): Promise<TokenSet | undefined> {
    if (this.#options.store === undefined) return this.#tokens
    try {
      return await this.#persistence.read()
    } catch (error) {
      if (this.#persistence.shared) throw error
      return fallback
    }
  }

  // Persist, then publish: no caller gets tokens the store might not have.
  async #adopt(run: RefreshRun, next: TokenSet, deadline: Deadline): Promise<TokenSet> {
    if (run.version !== this.#version) return this.#supersede(run, next)
    run.obtained = true
    const write = this.#persistence.write(next)
    // Within the deadline, a hung store is waited for no longer than the deadline; a late result waits for the
    // store's own bound, since nobody is waiting for it and the store should have it.
    await (deadline.signal.aborted ? write : waitFor(write, deadline.signal).catch(noop))
    if (run.version !== this.#version) return this.#supersede(run, next)
    this.#backoff = undefined
    this.#publish(next)
    this.#emitSucceeded(run, next, { late: deadline.signal.aborted, adopted: false })
    return next
  }

  // A peer sharing the store refreshed, signed in or ended the session while this refresh waited for the lock.
  #adoptCurrent(run: RefreshRun, current: TokenSet | undefined): TokenSet {
    if (run.version !== this.#version) return this.#supersede(run, undefined)
    if (current === undefined) {
      throw new SessionExpiredError('Another refresher sharing the store ended the session')
    }
    this.#backoff = undefined
    this.#publish(current)
    this.#emitSucceeded(run, current, { late: false, adopted: true })
    return current
  }

  #emitSucceeded(
    run: RefreshRun,
    result: TokenSet,
    outcome: { late: boolean; adopted: boolean; superseded?: boolean },
  ): void {
    this.#emit({
      type: 'refresh-succeeded',
      reason: run.reason,
      durationMs: this.#options.now() - run.startedAt,
      expiresAt: result.expiresAt,
      refreshTokenRotated:
        result.refreshToken !== undefined && result.refreshToken !== run.previous?.refreshToken,
      late: outcome.late,
      adopted: outcome.adopted,
      superseded: outcome.superseded ?? false,
    })
  }

  // setTokens, clear, a session expiry or a peer replaced the tokens while this refresh ran: its outcome
  // concerns tokens that are gone, so it is not published and its waiters get what is current.
  #supersede(run: RefreshRun, result: TokenSet | undefined): TokenSet {
    if (result !== undefined) {
      this.#emitSucceeded(run, result, { late: false, adopted: false, superseded: true })
    }
    this.#throwIfSessionExpired()
    if (this.#tokens !== undefined) return this.#tokens
    throw new SessionExpiredError('Tokens were cleared while a refresh was running')
  }

  #fail(run: RefreshRun, error: TokenRefreshError): TokenSet {
    const now = this.#options.now()
    const durationMs = now - run.startedAt
    if (run.version !== this.#version) {
      this.#emit({ type: 'refresh-failed', reason: run.reason, durationMs, error })
      return this.#supersede(run, undefined)
    }
    if (error instanceof SessionExpiredError) {
      this.#emit({ type: 'refresh-failed', reason: run.reason, durationMs, error })
      this.#endSession(run, error)
      throw error
    }
    const failures = (this.#backoff?.failures ?? 0) + 1
    const retryAt = now + backoffDelayMs(failures, this.#options, readRetryAfterMs(error, now))
    this.#backoff = { error, failures, retryAt }
    this.#backgroundRetryAt = now + this.#options.backgroundRetryIntervalMs
    this.#emit({ type: 'refresh-failed', reason: run.reason, durationMs, error, retryAt })
    throw error
  }

  #endSession(run: RefreshRun, error: SessionExpiredError): void {
    if (run.version === this.#version) this.#expireSession(error)
  }

  #expireSession(error: SessionExpiredError): void {
    this.#sessionExpiredError = error
    this.#backoff = undefined
    this.#publish(undefined)
    this.#emit({ type: 'session-expired', error })
    const { onSessionExpired } = this.#options
    if (onSessionExpired === undefined) return
    try {
      onSessionExpired(error)
    } catch (callbackError) {
      console.error('tokenflight: the onSessionExpired callback threw', callbackError)
    }
  }

  #applyLoaded(stored: TokenSet | undefined): void {
    const tokens = stored ?? this.#options.initialTokens
    if (tokens !== undefined) this.#publish(Object.freeze({ ...tokens }))
    const announced = this.#peerTokensDuringLoad
    this.#peerTokensDuringLoad = undefined
    if (announced !== undefined) this.#adoptPeerTokens(announced.tokens)
  }

  #listenToPeers(): void {
    if (this.#subscribed) return
    this.#subscribed = true
    this.#persistence.subscribe((tokens) => this.#adoptPeerTokens(tokens))
  }

  // Tokens another refresher sharing the store set, rotated or cleared: adopted without a token call.
  #adoptPeerTokens(tokens: TokenSet | undefined): void {
    if (!this.#persistence.loaded) {
      this.#peerTokensDuringLoad = { tokens }
      return
    }
    if (tokens === undefined || tokens === null) {
      if (this.#tokens === undefined || this.#sessionExpiredError !== undefined) return
      this.#expireSession(
        new SessionExpiredError('Another refresher sharing the store ended the session'),
      )
      return
    }
    const problem = describeInvalidTokenSet(tokens)
    if (problem !== undefined) {
      this.#reportStoreFailure(
        'subscribe',
        new RefreshFailedError(`Store announced an invalid token set: ${problem}`),
      )
      return
    }
    if (isSameSession(tokens, this.#tokens)) return
    this.#sessionExpiredError = undefined
    this.#backoff = undefined
    this.#publish(Object.freeze({ ...tokens }))
    this.#emit({ type: 'tokens-adopted' })
  }

  #publish(tokens: TokenSet | undefined): void {
    this.#version++
    this.#tokens = tokens
    this.#backgroundRetryAt = 0
    const windows = refreshWindows(tokens?.expiresAt, this.#options.now(), this.#options)
    this.#refreshAt = windows.refreshAt
    this.#backgroundRefreshAt = windows.backgroundRefreshAt
  }

  #reportStoreFailure(operation: StoreOperation, error: unknown): void {
    if (this.#options.onEvent === undefined) {
      console.warn(`tokenflight: the token store failed to ${operation} tokens`, error)
    } else {
      this.#emit({ type: 'store-failed', operation, error })
    }
  }

  #emit(event: TokenRefreshEvent): void {
    const { onEvent } = this.#options
    if (onEvent === undefined) return
    try {
      onEvent(event)
    } catch (error) {
      console.error('tokenflight: the onEvent listener threw', error)
    }
  }
}

function isSameSession(a: TokenSet | undefined, b: TokenSet | undefined): boolean {
  return a?.accessToken === b?.accessToken && a?.refreshToken === b?.refreshToken
}

// A token response without a refresh token means the old one stays valid (RFC 6749, section 6).
function withKeptRefreshToken(previous: TokenSet | undefined, result: TokenSet): TokenSet {
  const next = { ...result }
  if (next.refreshToken === undefined && previous?.refreshToken !== undefined) {
    next.refreshToken = previous.refreshToken
  }
  return Object.freeze(next)
}
