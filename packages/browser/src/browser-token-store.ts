import type { TokenSet, TokenStore } from '@tokenflight/core'
import { lockSignalOf } from '@tokenflight/core/store'
import { BrowserTokenStoreError } from './errors.js'
import { SessionChannel, type SessionMessage } from './session-channel.js'
import { type LeaseAttempt, SessionDatabase } from './session-database.js'
import { decodeSession, encodeTokens, revisionOf } from './stored-session.js'

/** Options of {@link browserTokenStore}. */
export interface BrowserTokenStoreOptions {
  /**
   * Names the session: its IndexedDB record, its lock and its channel. The tabs of one origin that use the same key
   * share one session; use one key per signed-in account or API.
   */
  key: string
  /**
   * The longest a tab that stopped making progress keeps the others waiting, in milliseconds. With Web Locks: how
   * long a holder whose refresh is past its deadline keeps the lock for that refresh to settle. Where there are
   * none (an insecure context, Safari before 15.4): how long the lease that replaces them lasts unless its holder
   * renews it, which it does every third of that time. Default 10 000.
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
  /**
   * The session's revision as this holder last read or wrote it. A write made during the hold is conditional on it:
   * if another tab wrote since, a newer holder after this one let go, or a sign-in or sign-out, its tokens win.
   */
  revision: number | undefined
  /** Lets the lock go before `critical` settles: `leaseMs` past its deadline, its lease lost, or the page hidden. */
  releaseEarly(reason: unknown): void
}

const knownOptions = new Set(['key', 'leaseMs'])
// A waiter for the lease wakes at its holder's release notice; polling is only the backstop for a notice lost or a
// holder gone, and every poll is a write transaction that the holder's own writes queue behind.
const leasePollMs = 1_000

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
  // Counts the release notices heard, so that one heard while a try was in flight is not waited for in vain.
  #leaseReleases = 0
  // The newest revision this store has written or read: a change notice at or below it is not news.
  #knownRevision = 0
  // Tokens this tab could not save (storage full or unusable) and the stored revision they replace. The tab goes on
  // with them, under the lock too, until a write succeeds or another tab saves newer ones: a full disk signs no one out.
  #unsaved: { tokens: TokenSet | undefined; basis: number } | undefined
  #recheck: Promise<void> = Promise.resolve()
  // This store's writes not yet settled, and how many were ever started: a change notice is judged after them.
  readonly #writesInFlight = new Set<Promise<unknown>>()
  #writesStarted = 0
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
    let stored: unknown
    try {
      stored = await this.#database.readSession()
    } catch (error) {
      if (this.#unsaved === undefined) throw error
      return this.#unsaved.tokens
    }
    const revision = revisionOf(stored)
    const hold = this.#newestHold()
    if (hold !== undefined) hold.revision = revision
    if (this.#unsaved !== undefined && this.#unsaved.basis === revision) return this.#unsaved.tokens
    this.#unsaved = undefined
    const session = decodeSession(stored, this.#key)
    console.log()
    this.#knownRevision = Math.max(this.#knownRevision, session.revision)
    return session.tokens
  }

  async set(tokens: TokenSet): Promise<void> {
    this.#assertOpen()
    await this.#write(tokens)
  }

  async clear(): Promise<void> {
    this.#assertOpen()
    await this.#write(undefined)
  }

  lock<T>(critical: () => Promise<T>, options: { signal: AbortSignal }): Promise<T> {
    if (this.#closed) return Promise.reject(this.#closedError())
    let signal: AbortSignal
    try {
      signal = lockSignalOf(critical, options)
    } catch (error) {
      return Promise.reject(error)
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

  #write(tokens: TokenSet | undefined): Promise<void> {
    const write = this.#writeNow(tokens)
    this.#writesStarted++
    this.#writesInFlight.add(write)
    const forget = () => this.#writesInFlight.delete(write)
    write.then(forget, forget)
    return write
  }

  async #writeNow(tokens: TokenSet | undefined): Promise<void> {
    const text = tokens === undefined ? null : encodeTokens(tokens)
    const hold = this.#newestHold()
    let revision: number
    try {
      revision = await this.#database.writeSession(text, hold?.revision)
    } catch (error) {
      if (isStorageFailure(error)) {
        this.#unsaved = { tokens, basis: hold?.revision ?? this.#knownRevision }
      }
      throw error
    }
    this.#unsaved = undefined
    console.log()
    if (hold !== undefined) hold.revision = revision
    this.#knownRevision = Math.max(this.#knownRevision, revision)
    this.#channel.post({ type: 'session-changed', revision })
  }

  // Reads and writes while a critical section runs belong to it. Two are unsettled at once only after one let go
  // early and its tab took the lock again; the newer one then owns them.
  #newestHold(): Hold | undefined {
    let newest: Hold | undefined
    for (const hold of this.#holds) newest = hold
    return newest
  }

  async #lockWithWebLocks<T>(
    locks: LockManager,
    critical: () => Promise<T>,
    signal: AbortSignal,
  ): Promise<T> {
    try {
      return await locks.request(this.#lockName, { signal }, () =>
        this.#hold(signal, undefined, async (hold) => {
          // Unreadable storage is the critical section's to meet, through get(), where unsaved tokens may answer.
          hold.revision = await this.#database.readRevision().catch(() => undefined)
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
    const { epoch, revision } = await this.#acquireLease(signal)
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
      return await this.#hold(signal, revision, (granted) => {
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
  async #acquireLease(signal: AbortSignal): Promise<LeaseAttempt & { granted: true }> {
    for (;;) {
      if (signal.aborted) throw signal.reason
      const releasesBefore = this.#leaseReleases
      const trying = this.#database.tryLease(this.#owner, this.#leaseMs)
      const attempt = await untilAborted(trying, signal).catch((error: unknown) => {
        // A lease granted after the caller gave up is given back at once.
        trying.then((late) => late.granted && this.#releaseLease(late), noop)
        throw error
      })
      if (attempt.granted) return attempt
      if (this.#leaseReleases !== releasesBefore) continue
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

  // Runs `critical` as a hold of the lock, and lets the lock go when it settles. A refresh past its deadline keeps
  // the lock, so that its late result is written before a peer reads the store, but `leaseMs` at most: a holder
  // that never settles must not stall every tab for good. Then, or when the page is hidden, the lock goes early.
  async #hold<T>(
    signal: AbortSignal,
    revision: number | undefined,
    critical: (hold: Hold) => Promise<T>,
  ): Promise<T> {
    // Granted just as the deadline passed: nobody waits for this refresh any more.
    if (signal.aborted) throw signal.reason
    let releaseEarly: (reason: unknown) => void = noop
    const released = new Promise<never>((_resolve, reject) => {
      releaseEarly = reject
    })
    released.catch(noop)
    const hold: Hold = { revision, releaseEarly }
    this.#holds.add(hold)
    let grace: ReturnType<typeof setTimeout> | undefined
    const startGrace = () => {
      grace = setTimeout(() => releaseEarly(this.#lockLost()), this.#leaseMs)
    }
    signal.addEventListener('abort', startGrace, { once: true })
    const work = Promise.resolve().then(() => critical(hold))
    // The fence stays up until `critical` settles, however early the lock was let go.
    work.then(
      () => this.#holds.delete(hold),
      () => this.#holds.delete(hold),
    )
    try {
      return await Promise.race([work, released])
    } finally {
      signal.removeEventListener('abort', startGrace)
      clearTimeout(grace)
    }
  }

  #receive(message: SessionMessage): void {
    console.log()
    if (message.type === 'lease-released') {
      this.#leaseReleases++
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
        session = await this.#readAfterOwnWrites()
      } catch (error) {
        // Not a sign-out: the tokens this tab holds stay, and the next read under the lock reports the error.
        console.warn(
          `@tokenflight/browser: could not read the session "${this.#key}" after another tab changed it`,
          error,
        )
        return
      }
      console.log()
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

  // A notice can describe a write older than one this tab is making (a peer's sign-out that lands just before this
  // tab's sign-in): read once this tab's writes have settled, so that their revisions rule the older notice out.
  async #readAfterOwnWrites(): Promise<{ revision: number; tokens: TokenSet | undefined }> {
    for (;;) {
      await Promise.allSettled(this.#writesInFlight)
      const writesStarted = this.#writesStarted
      const session = decodeSession(await this.#database.readSession(), this.#key)
      if (this.#writesStarted === writesStarted) return session
    }
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

function isStorageFailure(error: unknown): boolean {
  return (
    error instanceof BrowserTokenStoreError &&
    (error.reason === 'quota-exceeded' || error.reason === 'unavailable')
  )
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
