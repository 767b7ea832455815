import type { TokenSet, TokenStore } from '@tokenflight/core'
import { BrowserTokenStoreError } from './errors.js'
import { SessionChannel, type SessionMessage } from './session-channel.js'
import { type LeaseAttempt, SessionDatabase } from './session-database.js'
import { decodeSession, encodeTokens } from './stored-session.js'

/** Options of {@link browserTokenStore}. */
export interface BrowserTokenStoreOptions {
  /**
   * Names the session: its IndexedDB record, its lock and its channel. The tabs of one origin that use the same key
   * share one session; use one key per signed-in account or API.
   */
  key: string
  /**
   * Where the browser has no Web Locks (an insecure context, Safari before 15.4): milliseconds the lease that
   * replaces them lasts unless its holder renews it, which it does every third of that time. A tab that dies
   * holding it stalls the others this long at most. Default 10 000.
   */
  leaseMs?: number
}

/** How the store keeps two tabs out of one refresh. */
export type BrowserLockKind =
  /** `navigator.locks`, released by the browser as soon as the holding tab closes. */
  | 'web-locks'
  /** A lease in IndexedDB with an owner and an expiry, taken in one transaction, where there are no Web Locks. */
  | 'lease'

/** The `TokenStore` of {@link browserTokenStore}: every method returns a promise, and `lock` and `subscribe` are there. */
export interface BrowserTokenStore extends TokenStore {
  get(): Promise<TokenSet | undefined>
  set(tokens: TokenSet): Promise<void>
  clear(): Promise<void>
  lock<T>(critical: () => Promise<T>, options: { signal: AbortSignal }): Promise<T>
  subscribe(listener: (tokens: TokenSet | undefined) => void): () => void
  /** Which lock this store takes, decided when it is created. */
  readonly lockKind: BrowserLockKind
  /** Stops hearing from other tabs and closes the database; later calls reject with a `TypeError`. */
  close(): void
}

type Listener = (tokens: TokenSet | undefined) => void

/** A grant of the lock, from when it was granted until `critical` settles. */
interface Hold {
  /** The lock's epoch in IndexedDB once known; writes made during the hold are fenced with it. */
  epoch: number | undefined
  /** Lets the lock go before `critical` settles: its deadline passed, its lease was lost, or the page is hidden. */
  releaseEarly(reason: unknown): void
}

const knownOptions = new Set(['key', 'leaseMs'])
const leasePollMs = 100

/**
 * A token store shared by the tabs of one origin: the session is kept in IndexedDB, a refresh runs under a Web Lock
 * (a lease in IndexedDB where there are none), and a `BroadcastChannel` tells the other tabs of every change, so
 * that five tabs make one refresh per expiry and a sign-out in one reaches all.
 *
 * @example
 * const refresher = createTokenRefresher({
 *   store: browserTokenStore({ key: 'my-app' }),
 *   refresh: refreshTokenGrant({ tokenEndpoint, clientId }),
 *   onSessionExpired: () => showSignIn(),
 * })
 */
export function browserTokenStore(options: BrowserTokenStoreOptions): BrowserTokenStore {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('Expected `options` to be an object with a `key`')
  }
  for (const name of Object.keys(options)) {
    if (!knownOptions.has(name)) throw new TypeError(`Unknown option \`${name}\``)
  }
  const { key, leaseMs = 10_000 } = options
  if (typeof key !== 'string' || key === '') {
    throw new TypeError('Expected `key` to be a non-empty string')
  }
  if (typeof leaseMs !== 'number' || !Number.isFinite(leaseMs) || leaseMs <= 0) {
    throw new TypeError('Expected `leaseMs` to be a positive number of milliseconds')
  }
  return new SharedSessionStore(key, leaseMs)
}

class SharedSessionStore implements BrowserTokenStore {
  readonly lockKind: BrowserLockKind
  readonly #key: string
  readonly #lockName: string
  readonly #leaseMs: number
  readonly #locks: LockManager | undefined
  readonly #owner = randomId()
  readonly #database: SessionDatabase
  readonly #channel: SessionChannel
  readonly #listeners = new Set<Listener>()
  // Unsettled holds, oldest first. One at a time, unless a hold let go early and its critical still runs.
  readonly #holds = new Set<Hold>()
  // Wakes the tabs waiting for the lease when its holder says it let go.
  readonly #leaseWaiters = new Set<() => void>()
  // The newest revision this store has written or read: a change notice at or below it is not news.
  #knownRevision = 0
  #recheck: Promise<void> = Promise.resolve()
  #closed = false

  constructor(key: string, leaseMs: number) {
    this.#key = key
    this.#lockName = `tokenflight:${key}`
    this.#leaseMs = leaseMs
    this.#locks = (globalThis as { navigator?: { locks?: LockManager } }).navigator?.locks
    this.lockKind = this.#locks === undefined ? 'lease' : 'web-locks'
    this.#database = new SessionDatabase(key)
    this.#channel = new SessionChannel(key, (message) => this.#receive(message))
    if (typeof addEventListener === 'function') {
      addEventListener('pagehide', this.#onPageHide)
      addEventListener('pageshow', this.#onPageShow)
    }
  }

  async get(): Promise<TokenSet | undefined> {
    this.#assertOpen()
    const session = decodeSession(await this.#database.readSession(), this.#key)
    this.#knownRevision = Math.max(this.#knownRevision, session.revision)
    return session.tokens
  }

  async set(tokens: TokenSet): Promise<void> {
    this.#assertOpen()
    await this.#write(encodeTokens(tokens))
  }

  async clear(): Promise<void> {
    this.#assertOpen()
    await this.#write(null)
  }

  lock<T>(critical: () => Promise<T>, options: { signal: AbortSignal }): Promise<T> {
    if (this.#closed) return Promise.reject(this.#closedError())
    if (typeof critical !== 'function') {
      return Promise.reject(new TypeError('Expected `critical` to be a function'))
    }
    const signal = options?.signal
    if (!(signal instanceof AbortSignal)) {
      return Promise.reject(new TypeError('Expected `options.signal` to be an AbortSignal'))
    }
    if (signal.aborted) return Promise.reject(signal.reason)
    return this.#locks === undefined
      ? this.#lockWithLease(critical, signal)
      : this.#lockWithWebLocks(this.#locks, critical, signal)
  }

  subscribe(listener: Listener): () => void {
    this.#assertOpen()
    if (typeof listener !== 'function') throw new TypeError('Expected `listener` to be a function')
    // Wrapped, so that the same function subscribed twice is called twice and unsubscribed once each.
    const entry: Listener = (tokens) => listener(tokens)
    this.#listeners.add(entry)
    return () => {
      this.#listeners.delete(entry)
    }
  }

  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.#listeners.clear()
    this.#channel.close()
    this.#database.close()
    if (typeof removeEventListener === 'function') {
      removeEventListener('pagehide', this.#onPageHide)
      removeEventListener('pageshow', this.#onPageShow)
    }
  }

  async #write(tokens: string | null): Promise<void> {
    const revision = await this.#database.writeSession(tokens, this.#fenceEpoch())
    this.#knownRevision = Math.max(this.#knownRevision, revision)
    this.#channel.post({ type: 'session-changed', revision })
  }

  // Writes made while a hold is unsettled are refused if the lock was granted again since: that only happens once
  // the hold let go early, and then a newer holder's tokens must win.
  #fenceEpoch(): number | undefined {
    let epoch: number | undefined
    for (const hold of this.#holds) epoch = hold.epoch ?? epoch
    return epoch
  }

  async #lockWithWebLocks<T>(
    locks: LockManager,
    critical: () => Promise<T>,
    signal: AbortSignal,
  ): Promise<T> {
    try {
      return await locks.request(this.#lockName, { signal }, () =>
        this.#hold(signal, undefined, async (hold) => {
          hold.epoch = await this.#database.beginEpoch()
          return critical()
        }),
      )
    } catch (error) {
      // The request was dropped from the queue by the signal: reject as the contract says, with its reason.
      if (signal.aborted && isAbortError(error)) throw signal.reason
      throw error
    }
  }

  async #lockWithLease<T>(critical: () => Promise<T>, signal: AbortSignal): Promise<T> {
    const epoch = await this.#acquireLease(signal)
    let hold: Hold | undefined
    const renewal = setInterval(() => {
      this.#database.updateLease(this.#owner, epoch, this.#leaseMs).then(
        (renewed) => {
          if (!renewed) hold?.releaseEarly(this.#lockLost())
        },
        (error: unknown) => hold?.releaseEarly(error),
      )
    }, this.#leaseMs / 3)
    try {
      return await this.#hold(signal, epoch, (granted) => {
        hold = granted
        return critical()
      })
    } finally {
      clearInterval(renewal)
      this.#database.updateLease(this.#owner, epoch, 0).then(
        () => this.#channel.post({ type: 'lease-released' }),
        // Not released: it expires after `leaseMs`.
        noop,
      )
    }
  }

  // Takes the lease when it is free or expired; waits for its holder's release notice, or polls, in between.
  async #acquireLease(signal: AbortSignal): Promise<number> {
    for (;;) {
      if (signal.aborted) throw signal.reason
      const trying = this.#database.tryLease(this.#owner, this.#leaseMs)
      const attempt = await untilAborted(trying, signal).catch((error: unknown) => {
        // A lease granted after the caller gave up is given back at once.
        trying.then((late) => late.granted && this.#releaseLease(late), noop)
        throw error
      })
      if (attempt.granted) return attempt.epoch
      const waitMs = Math.min(leasePollMs, Math.max(attempt.expiresAt - Date.now(), 0))
      await this.#leaseReleasedOrElapsed(waitMs, signal)
    }
  }

  #releaseLease(attempt: LeaseAttempt & { granted: true }): void {
    this.#database.updateLease(this.#owner, attempt.epoch, 0).catch(noop)
  }

  #leaseReleasedOrElapsed(waitMs: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const stopWaiting = () => {
        clearTimeout(timer)
        this.#leaseWaiters.delete(wake)
        signal.removeEventListener('abort', abort)
      }
      const wake = () => {
        stopWaiting()
        resolve()
      }
      const abort = () => {
        stopWaiting()
        reject(signal.reason)
      }
      const timer = setTimeout(wake, waitMs)
      this.#leaseWaiters.add(wake)
      signal.addEventListener('abort', abort, { once: true })
    })
  }

  // Runs `critical` as a hold of the lock, and lets the lock go when it settles, or earlier when the signal aborts
  // (the refresh deadline passed) or the hold is released early: a lock is never held past its deadline.
  async #hold<T>(
    signal: AbortSignal,
    epoch: number | undefined,
    critical: (hold: Hold) => Promise<T>,
  ): Promise<T> {
    // Granted just as the deadline passed: nobody waits for this refresh any more.
    if (signal.aborted) throw signal.reason
    let releaseEarly: (reason: unknown) => void = noop
    const released = new Promise<never>((_resolve, reject) => {
      releaseEarly = reject
    })
    released.catch(noop)
    const hold: Hold = { epoch, releaseEarly }
    this.#holds.add(hold)
    const abort = () => releaseEarly(signal.reason)
    signal.addEventListener('abort', abort, { once: true })
    const work = Promise.resolve().then(() => critical(hold))
    // The fence stays up until `critical` settles, however early the lock was let go.
    work.then(
      () => this.#holds.delete(hold),
      () => this.#holds.delete(hold),
    )
    try {
      return await Promise.race([work, released])
    } finally {
      signal.removeEventListener('abort', abort)
    }
  }

  #receive(message: SessionMessage): void {
    if (message.type === 'lease-released') {
      for (const wake of [...this.#leaseWaiters]) wake()
      return
    }
    if (message.revision > this.#knownRevision) this.#notifyIfChanged()
  }

  // Reads the session and tells the listeners if it moved past what this store knows. Runs one at a time, so that
  // listeners hear the changes in order.
  #notifyIfChanged(): void {
    if (this.#listeners.size === 0) return
    this.#recheck = this.#recheck.then(async () => {
      if (this.#closed) return
      let session: { revision: number; tokens: TokenSet | undefined }
      try {
        session = decodeSession(await this.#database.readSession(), this.#key)
      } catch (error) {
        // Not a sign-out: the tokens this tab holds stay, and the next read under the lock reports the error.
        console.warn(
          `@tokenflight/browser: could not read the session "${this.#key}" after another tab changed it`,
          error,
        )
        return
      }
      if (session.revision <= this.#knownRevision) return
      this.#knownRevision = session.revision
      for (const listener of [...this.#listeners]) {
        try {
          listener(session.tokens)
        } catch (error) {
          console.error('@tokenflight/browser: a session listener threw', error)
        }
      }
    })
  }

  // A page entering the back/forward cache is frozen with whatever it holds; WebKit kept its Web Locks held there
  // (bug 283528), stalling every other tab. Let go first; a write the frozen refresh makes later is fenced.
  readonly #onPageHide = (): void => {
    for (const hold of this.#holds) hold.releaseEarly(this.#lockLost())
  }

  // Notices sent while the page was frozen were missed: read the session again.
  readonly #onPageShow = (event: PageTransitionEvent): void => {
    if (event.persisted) this.#notifyIfChanged()
  }

  #lockLost(): BrowserTokenStoreError {
    return new BrowserTokenStoreError(
      `Lost the lock of the session "${this.#key}" before the refresh under it settled`,
      { key: this.#key, reason: 'lock-lost' },
    )
  }

  #assertOpen(): void {
    if (this.#closed) throw this.#closedError()
  }

  #closedError(): TypeError {
    return new TypeError(`The browserTokenStore "${this.#key}" was closed`)
  }
}

function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise((resolve, reject) => {
    const abort = () => reject(signal.reason)
    signal.addEventListener('abort', abort, { once: true })
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort))
  })
}

function isAbortError(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'AbortError'
}

// `crypto.randomUUID` exists in secure contexts only, and the lease serves the insecure ones.
function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12))
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('')
}

function noop(): void {}
