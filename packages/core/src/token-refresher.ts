import {
  RefreshFailedError,
  RefreshTimeoutError,
  SessionExpiredError,
  TokenRefreshError,
} from './errors.js'
import type { RefreshReason, TokenRefreshEvent } from './events.js'
import { markRefreshSignal } from './refresh-signal.js'
import {
  capitalize,
  type ResolvedOptions,
  resolveOptions,
  type TokenRefresherOptions,
} from './refresher-options.js'
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
  /** `#version` when the refresh started: if it moved, newer tokens were set and this run's outcome is stale. */
  version: number
  previous: TokenSet | undefined
  startedAt: number
}

type StoreFailure = { error: unknown } | undefined

/**
 * The one refresh that is running: its outcome, and the access token of that outcome, derived once so
 * that thousands of callers waiting for a token share one reaction instead of one each.
 */
interface InFlightRefresh {
  tokens: Promise<TokenSet>
  accessToken: Promise<string>
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
  #loaded: boolean
  #loading: Promise<void> | undefined
  // Store writes run one after the other, so the store ends with the tokens that were set last.
  #storeWrites: Promise<unknown> = Promise.resolve()

  constructor(options: ResolvedOptions) {
    this.#options = options
    this.#loaded = options.store === undefined
    if (this.#loaded && options.initialTokens !== undefined)
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
      return this.#joinRefresh('forced', signal)
    })
  }

  getTokens(): TokenSet | undefined {
    return this.#tokens
  }

  async setTokens(tokens: TokenSet): Promise<void> {
    const problem = describeInvalidTokenSet(tokens, 'tokens')
    if (problem !== undefined) throw new TypeError(capitalize(problem))
    const next = Object.freeze({ ...tokens })
    this.#loaded = true
    this.#sessionExpiredError = undefined
    this.#publish(next)
    const failure = await this.#writeStore(next)
    if (failure !== undefined) throw failure.error
  }

  async clear(): Promise<void> {
    this.#loaded = true
    this.#publish(undefined)
    const failure = await this.#writeStore(undefined)
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
    if (!this.#loaded) return waitFor(this.#load(), signal).then(() => next(signal))
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
    return this.#joinRefreshForAccessToken(
      tokens === undefined ? 'missing' : 'unauthorized',
      signal,
    )
  }

  #currentAccessToken(signal: AbortSignal | undefined): string | Promise<string> {
    this.#throwIfSessionExpired()
    const tokens = this.#tokens
    if (tokens === undefined) return this.#joinRefreshForAccessToken('missing', signal)
    const now = this.#options.now()
    if (this.#mustRefresh(now)) return this.#joinRefreshForAccessToken('expired', signal)
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
      this.#inFlightRefresh === undefined
    )
  }

  #throwIfSessionExpired(): void {
    if (this.#sessionExpiredError !== undefined) throw this.#sessionExpiredError
  }

  #joinRefresh(reason: RefreshReason, signal: AbortSignal | undefined): Promise<TokenSet> {
    return (
      this.#refuseToWait(signal) ??
      waitFor((this.#inFlightRefresh ?? this.#startRefresh(reason)).tokens, signal)
    )
  }

  #joinRefreshForAccessToken(
    reason: RefreshReason,
    signal: AbortSignal | undefined,
  ): Promise<string> {
    return (
      this.#refuseToWait(signal) ??
      waitFor((this.#inFlightRefresh ?? this.#startRefresh(reason)).accessToken, signal)
    )
  }

  #refuseToWait(signal: AbortSignal | undefined): Promise<never> | undefined {
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
    return undefined
  }

  #startRefresh(reason: RefreshReason): InFlightRefresh {
    let settle!: (outcome: Promise<TokenSet>) => void
    const refresh = new Promise<TokenSet>((resolve) => {
      settle = resolve
    }).finally(() => {
      this.#inFlightRefresh = undefined
      this.#refreshSignal = undefined
    })
    const inFlight: InFlightRefresh = {
      tokens: refresh,
      accessToken: refresh.then((tokens) => tokens.accessToken),
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
      version: this.#version,
      previous: this.#tokens,
      startedAt: this.#options.now(),
    }
    this.#emit({ type: 'refresh-started', reason })
    let result: TokenSet
    try {
      result = await this.#callRefreshFunction(run)
    } catch (error) {
      return this.#fail(run, error)
    }
    return this.#adopt(run, result, false)
  }

  async #callRefreshFunction(run: RefreshRun): Promise<TokenSet> {
    const { refresh, refreshTimeoutMs } = this.#options
    const controller = new AbortController()
    markRefreshSignal(controller.signal)
    this.#refreshSignal = controller.signal
    const call = new Promise<unknown>((resolve) =>
      resolve(refresh({ tokens: run.previous, signal: controller.signal })),
    )
    if (refreshTimeoutMs === Number.POSITIVE_INFINITY) return validateRefreshResult(await call)

    let timer: ReturnType<typeof setTimeout> | undefined
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        const error = new RefreshTimeoutError(
          `Refresh did not settle within ${refreshTimeoutMs} ms`,
        )
        reject(error)
        controller.abort(error)
        // A refresh function that ignores its signal may still succeed. A rotating provider has then
        // consumed the refresh token it used, so its result is kept if nothing newer arrived meanwhile.
        call.then((late) => this.#adoptLate(run, late), noop)
      }, refreshTimeoutMs)
    })
    // A pending refresh must not keep a Node process alive.
    ;(timer as { unref?: () => void } | undefined)?.unref?.()
    try {
      return validateRefreshResult(await Promise.race([call, timeout]))
    } finally {
      clearTimeout(timer)
    }
  }

  async #adopt(run: RefreshRun, result: TokenSet, late: boolean): Promise<TokenSet> {
    if (run.version !== this.#version) return this.#supersede(run, result, late)
    const next = withKeptRefreshToken(run.previous, result)
    await this.#writeStore(next)
    if (run.version !== this.#version) return this.#supersede(run, result, late)
    this.#publish(next)
    this.#emitSucceeded(run, result, { late, superseded: false })
    return next
  }

  #emitSucceeded(
    run: RefreshRun,
    result: TokenSet,
    outcome: { late: boolean; superseded: boolean },
  ): void {
    this.#emit({
      type: 'refresh-succeeded',
      reason: run.reason,
      durationMs: this.#options.now() - run.startedAt,
      expiresAt: result.expiresAt,
      refreshTokenRotated:
        result.refreshToken !== undefined && result.refreshToken !== run.previous?.refreshToken,
      ...outcome,
    })
  }

  #adoptLate(run: RefreshRun, late: unknown): void {
    if (describeInvalidTokenSet(late) !== undefined) return
    this.#adopt(run, late as TokenSet, true).catch(noop)
  }

  // setTokens, clear, a session expiry or a late result replaced the tokens while this refresh ran: its outcome
  // concerns tokens that are gone, so it is not published and its waiters get what is current.
  #supersede(run: RefreshRun, result: TokenSet | undefined, late: boolean): TokenSet {
    if (result !== undefined) this.#emitSucceeded(run, result, { late, superseded: true })
    this.#throwIfSessionExpired()
    if (this.#tokens !== undefined) return this.#tokens
    throw new SessionExpiredError('Tokens were cleared while a refresh was running')
  }

  async #fail(run: RefreshRun, error: unknown): Promise<TokenSet> {
    const typed = this.#classify(error)
    const now = this.#options.now()
    this.#emit({
      type: 'refresh-failed',
      reason: run.reason,
      durationMs: now - run.startedAt,
      error: typed,
    })
    if (run.version !== this.#version) return this.#supersede(run, undefined, false)
    if (typed instanceof SessionExpiredError) {
      await this.#expireSession(typed)
    } else {
      this.#backgroundRetryAt = now + this.#options.backgroundRetryIntervalMs
    }
    throw typed
  }

  #classify(error: unknown): TokenRefreshError {
    if (error instanceof TokenRefreshError) return error
    let sessionExpired: boolean
    try {
      sessionExpired = this.#options.isSessionExpired(error)
    } catch (predicateError) {
      return new RefreshFailedError('The `isSessionExpired` option threw', {
        cause: predicateError,
      })
    }
    if (sessionExpired) {
      return new SessionExpiredError('Session expired: the refresh token was rejected', {
        cause: error,
      })
    }
    const what = error instanceof Error ? error.name : `a non-Error value (${describeKind(error)})`
    return new RefreshFailedError(`Refresh function threw ${what}`, { cause: error })
  }

  async #expireSession(error: SessionExpiredError): Promise<void> {
    this.#sessionExpiredError = error
    this.#publish(undefined)
    await this.#writeStore(undefined)
    this.#emit({ type: 'session-expired', error })
    const { onSessionExpired } = this.#options
    if (onSessionExpired === undefined) return
    try {
      onSessionExpired(error)
    } catch (callbackError) {
      console.error('tokenflight: the onSessionExpired callback threw', callbackError)
    }
  }

  #publish(tokens: TokenSet | undefined): void {
    this.#version++
    this.#tokens = tokens
    this.#backgroundRetryAt = 0
    if (tokens?.expiresAt === undefined) {
      this.#refreshAt = Number.POSITIVE_INFINITY
      this.#backgroundRefreshAt = Number.POSITIVE_INFINITY
      return
    }
    // Windows shrink with a short-lived token, so that a 100 ms token is not refreshed on every call.
    // A token read from a store counts its lifetime from now, since its issue time is unknown.
    const lifetimeMs = Math.max(0, tokens.expiresAt - this.#options.now())
    const mustMarginMs = Math.min(this.#options.refreshBeforeExpiryMs, lifetimeMs / 4)
    const shouldMarginMs = Math.max(
      mustMarginMs,
      Math.min(this.#options.backgroundRefreshBeforeExpiryMs, lifetimeMs / 2),
    )
    this.#refreshAt = tokens.expiresAt - mustMarginMs
    this.#backgroundRefreshAt = tokens.expiresAt - shouldMarginMs
  }

  #load(): Promise<void> {
    this.#loading ??= this.#readStore().finally(() => {
      this.#loading = undefined
    })
    return this.#loading
  }

  async #readStore(): Promise<void> {
    const { store, initialTokens } = this.#options
    if (store === undefined) return
    const version = this.#version
    let stored: TokenSet | undefined
    try {
      stored = await store.get()
    } catch (error) {
      this.#reportStoreFailure('get', error)
      throw new RefreshFailedError('Could not read tokens from the store', { cause: error })
    }
    // setTokens or clear ran while the store was read: what the app set wins.
    if (this.#loaded || version !== this.#version) return
    if (stored !== undefined && stored !== null) {
      const problem = describeInvalidTokenSet(stored)
      if (problem !== undefined) {
        const error = new RefreshFailedError(`Store holds an invalid token set: ${problem}`)
        this.#reportStoreFailure('get', error)
        throw error
      }
    }
    this.#loaded = true
    const tokens = stored ?? initialTokens
    if (tokens !== undefined) this.#publish(Object.freeze({ ...tokens }))
  }

  // Resolves to the failure, if any, once this write and every earlier one settled.
  #writeStore(tokens: TokenSet | undefined): Promise<StoreFailure> {
    const { store } = this.#options
    if (store === undefined) return Promise.resolve(undefined)
    const operation = tokens === undefined ? 'clear' : 'set'
    const write = this.#storeWrites
      .then(() => (tokens === undefined ? store.clear() : store.set(tokens)))
      .then(
        (): StoreFailure => undefined,
        (error: unknown): StoreFailure => {
          this.#reportStoreFailure(operation, error)
          return { error }
        },
      )
    this.#storeWrites = write
    return write
  }

  #reportStoreFailure(operation: 'get' | 'set' | 'clear', error: unknown): void {
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

function validateRefreshResult(value: unknown): TokenSet {
  const problem = describeInvalidTokenSet(value)
  if (problem !== undefined) {
    throw new RefreshFailedError(`Refresh function resolved an invalid token set: ${problem}`)
  }
  return value as TokenSet
}

// A token response without a refresh token means the old one stays valid (RFC 6749, section 6).
function withKeptRefreshToken(previous: TokenSet | undefined, result: TokenSet): TokenSet {
  const next = { ...result }
  if (next.refreshToken === undefined && previous?.refreshToken !== undefined) {
    next.refreshToken = previous.refreshToken
  }
  return Object.freeze(next)
}
