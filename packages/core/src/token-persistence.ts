import { startDeadline } from './deadline.js'
import { RefreshFailedError, TokenRefreshError } from './errors.js'
import { createLockQueue, type LockQueue } from './store/lock-queue.js'
import { describeInvalidTokenSet, type TokenSet } from './token-set.js'
import type { TokenStore } from './token-store.js'
import { waitFor } from './wait-for.js'

/** A store method, as events and messages name it. */
export type StoreOperation = 'get' | 'set' | 'clear' | 'lock' | 'subscribe'

/** What a store write failed with; undefined when it succeeded. */
export type StoreFailure = { error: unknown } | undefined

/**
 * Everything a refresher asks of its store: one read at first use that callers wait for, writes one after the
 * other, the lock a refresh runs under, fresh reads under it when it is shared, and change notifications. Each
 * store call is bounded by `timeoutMs`, so that a store that never answers holds no caller, no later write and no
 * lock for good; each failure is reported.
 */
export class TokenPersistence {
  /**
   * The lock a refresh runs under: the store's own when it is shared with other refreshers, an in-process one
   * otherwise.
   */
  readonly lock: LockQueue
  readonly #store: TokenStore | undefined
  readonly #timeoutMs: number
  readonly #report: (operation: StoreOperation, error: unknown) => void
  // Told what the first read found, unless tokens were set or cleared before it ended.
  readonly #apply: (stored: TokenSet | undefined) => void
  #loaded: boolean
  #loading: Promise<void> | undefined
  #listener: ((tokens: TokenSet | undefined) => void) | undefined
  // What a peer announced while the store was first read, handed on once that read is applied.
  #announcedDuringLoad: { tokens: TokenSet | undefined } | undefined
  // Resolves the callers waiting for the first read as soon as tokens are set or cleared instead.
  #markLoaded: (() => void) | undefined
  // Writes run one after the other, so that the store ends with the tokens set last; a write that outlives its
  // bound lets the next one go.
  #writes: Promise<unknown> = Promise.resolve()

  constructor(
    store: TokenStore | undefined,
    timeoutMs: number,
    report: (operation: StoreOperation, error: unknown) => void,
    apply: (stored: TokenSet | undefined) => void,
  ) {
    this.#store = store
    this.#timeoutMs = timeoutMs
    this.#report = report
    this.#apply = apply
    this.#loaded = store === undefined
    this.lock = this.shared
      ? (critical, signal) => this.#lockStore(critical, signal)
      : createLockQueue()
  }

  /** Whether the store is shared with other refreshers through its `lock`. */
  get shared(): boolean {
    return typeof this.#store?.lock === 'function'
  }

  /** Whether the first read is done, or no longer needed because tokens were set or cleared. */
  get loaded(): boolean {
    return this.#loaded
  }

  markLoaded(): void {
    this.#loaded = true
    this.#markLoaded?.()
    this.#handOnAnnouncement()
  }

  /**
   * Runs `next` once the store has been read. Not an async function: a caller waiting for a refresh then costs one
   * promise reaction rather than a suspended async frame, which counts with thousands.
   */
  afterLoading<T>(
    signal: AbortSignal | undefined,
    next: (signal: AbortSignal | undefined) => T | Promise<T>,
  ): Promise<T> {
    if (!this.#loaded) return waitFor(this.load(), signal).then(() => next(signal))
    try {
      return Promise.resolve(next(signal))
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /**
   * Reads the store once for every caller waiting on it and hands what it holds to `apply`, unless tokens were set
   * or cleared meanwhile. A read that fails or outlives its bound rejects its callers; the next call reads again.
   */
  load(): Promise<void> {
    if (this.#loading === undefined) {
      const read = this.read().then((stored) => {
        if (this.#loaded) return
        this.#loaded = true
        this.#apply(stored)
        this.#handOnAnnouncement()
      })
      const marked = new Promise<void>((resolve) => {
        this.#markLoaded = resolve
      })
      this.#loading = Promise.race([read, marked]).finally(() => {
        this.#loading = undefined
        this.#markLoaded = undefined
      })
    }
    return this.#loading
  }

  /** Reads the store now, as it is: a token set checked for validity, or undefined. */
  async read(): Promise<TokenSet | undefined> {
    const store = this.#store
    if (store === undefined) return undefined
    let stored: unknown
    try {
      stored = await this.#bounded('get', () => store.get())
    } catch (error) {
      this.#report('get', error)
      throw asTypedError(error, 'Could not read tokens from the store')
    }
    if (stored === undefined || stored === null) return undefined
    const problem = describeInvalidTokenSet(stored)
    if (problem !== undefined) {
      const error = new RefreshFailedError(`Store holds an invalid token set: ${problem}`)
      this.#report('get', error)
      throw error
    }
    return Object.freeze({ ...(stored as TokenSet) })
  }

  /** Writes tokens, or clears them when undefined, after every earlier write; resolves to the failure, if any. */
  write(tokens: TokenSet | undefined): Promise<StoreFailure> {
    const store = this.#store
    if (store === undefined) return Promise.resolve(undefined)
    const operation = tokens === undefined ? 'clear' : 'set'
    const write = this.#writes
      .then(() =>
        this.#bounded(operation, () => (tokens === undefined ? store.clear() : store.set(tokens))),
      )
      .then(
        (): StoreFailure => undefined,
        (error: unknown): StoreFailure => {
          this.#report(operation, error)
          return { error }
        },
      )
    this.#writes = write
    return write
  }

  // Runs `critical` under the store's lock; `signal` gives up waiting for it.
  #lockStore<T>(critical: () => Promise<T>, signal: AbortSignal): Promise<T> {
    const store = this.#store as Required<TokenStore>
    return new Promise<T>((resolve) => resolve(store.lock(critical, { signal }))).catch(
      (error: unknown) => {
        // What `critical` threw is already typed, and a wait given up ends with its signal's reason; anything else
        // is the lock's own failure.
        if (error instanceof TokenRefreshError || (signal.aborted && error === signal.reason))
          throw error
        this.#report('lock', error)
        throw new RefreshFailedError('The token store could not take its lock', { cause: error })
      },
    )
  }

  /**
   * Listens, once and for good, for tokens another refresher wrote to a shared store. What arrives before the first
   * read is applied waits for it (and starts it), since that read may have started before the peer wrote.
   */
  listen(listener: (tokens: TokenSet | undefined) => void): void {
    const store = this.#store
    if (this.#listener !== undefined || typeof store?.subscribe !== 'function') return
    this.#listener = listener
    try {
      store.subscribe((tokens) => {
        if (this.#loaded) {
          listener(tokens)
          return
        }
        this.#announcedDuringLoad = { tokens }
        // Nobody has asked for a token yet: read the store now, so that the news is not held until someone does.
        this.load().catch(() => {})
      })
    } catch (error) {
      this.#report('subscribe', error)
    }
  }

  /** Resolves once every write made so far has settled or outlived its bound. */
  writesSettled(): Promise<void> {
    return this.#writes.then(() => {})
  }

  #handOnAnnouncement(): void {
    const announced = this.#announcedDuringLoad
    this.#announcedDuringLoad = undefined
    if (announced !== undefined) this.#listener?.(announced.tokens)
  }

  #bounded<T>(operation: StoreOperation, call: () => T | Promise<T>): Promise<T> {
    const deadline = startDeadline(
      this.#timeoutMs,
      `The token store did not finish \`${operation}\` within ${this.#timeoutMs} ms`,
    )
    return deadline
      .race(new Promise<T>((resolve) => resolve(call())))
      .finally(() => deadline.dispose())
  }
}

function asTypedError(error: unknown, message: string): TokenRefreshError {
  if (error instanceof TokenRefreshError) return error
  return new RefreshFailedError(message, { cause: error })
}
