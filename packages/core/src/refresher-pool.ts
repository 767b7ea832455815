import type { DPoPHandle } from './dpop-handle.js'
import type { SessionExpiredError } from './errors.js'
import type { TokenRefreshEvent } from './events.js'
import { freshAccessTokenKey, type HasFreshAccessToken } from './fresh-access-token.js'
import { hasMethods } from './option-checks.js'
import { SessionIndex } from './pool/session-index.js'
import { frozenKey, keyForEvents, type RefresherPoolKey, sessionIdOf } from './pool/session-key.js'
import { type LruEntry, SessionLru } from './pool/session-lru.js'
import { RefreshCoordinator } from './refresh-coordinator.js'
import type { RefreshFunction, TokenRefresherOptions } from './refresher-options.js'
import { resolveOptions } from './refresher-options.js'
import { createTokenRefresher, type TokenRefresher, type WaitOptions } from './token-refresher.js'
import type { TokenSet } from './token-set.js'
import type { TokenStore } from './token-store.js'

export type { RefresherPoolKey }

/** What the pool's `refresh` receives: the refresher's context, and the key of the session that refreshes. */
export type PoolRefreshContext<Key extends RefresherPoolKey> = Parameters<RefreshFunction>[0] & {
  /**
   * The key first given to `get()` for this session, as a frozen copy: the same object for the session's whole life,
   * so that it can key a `WeakMap` of per-session state.
   */
  key: Key
}

/**
 * An event of one session of a pool, with its key; fields named like a credential (`subjectToken`, `actorToken`,
 * `assertion`, anything ending in `token`, `secret` or `password`) are shown as `'[redacted]'`.
 * `session-evicted`: the session was idle and the pool held `maxSessions`, so it was dropped, least recently used first.
 */
export type RefresherPoolEvent<Key extends RefresherPoolKey = RefresherPoolKey> = (
  | TokenRefreshEvent
  | { type: 'session-evicted' }
) & { key: Key }

/** Options of {@link createRefresherPool}: every option of `createTokenRefresher`, applied to each session. */
export interface RefresherPoolOptions<Key extends RefresherPoolKey = RefresherPoolKey>
  extends Omit<
    TokenRefresherOptions,
    'refresh' | 'store' | 'initialTokens' | 'onSessionExpired' | 'onEvent'
  > {
  /** Obtains new tokens for the session of `key`. Required. */
  refresh: (context: PoolRefreshContext<Key>) => Promise<TokenSet>
  /**
   * The store of one session, called whenever the session is created (again, after an eviction). Default: in memory,
   * which an eviction drops with the session.
   */
  store?: (key: Key) => TokenStore
  /** Tokens a new session starts with when its store holds none. Default: none. */
  initialTokens?: (key: Key) => TokenSet | undefined
  /**
   * How many sessions the pool keeps: beyond it, idle sessions are dropped, least recently used first. A session
   * with a refresh in flight, a caller waiting or a store call pending is never dropped. Default 10 000.
   */
  maxSessions?: number
  /** Called once when a session expires, with its key as given to `get()`. */
  onSessionExpired?: (error: SessionExpiredError, key: Key) => void
  /** Receives every event of every session, with its key (credential fields redacted), for logs and counters. */
  onEvent?: (event: RefresherPoolEvent<Key>) => void
}

/** One refresher per key, created on first use, bounded by `maxSessions`. */
export interface RefresherPool<Key extends RefresherPoolKey = RefresherPoolKey> {
  /** The refresher of the session of `key`: the same one for an equal key until it is evicted or deleted. */
  get(key: Key): TokenRefresher
  /** Signs the session of `key` out: clears its tokens from its store, even if it was evicted, and drops it. */
  delete(key: Key): Promise<void>
  /** How many sessions the pool holds now. */
  readonly size: number
}

export const defaultMaxSessions = 10_000

const poolOptionNames = new Set<string>([
  'refresh',
  'store',
  'initialTokens',
  'maxSessions',
  'onSessionExpired',
  'onEvent',
])
const inspectSymbol = Symbol.for('nodejs.util.inspect.custom')
const noop = () => {}

/**
 * Creates a pool of refreshers, one per session key (a user, a tenant, a scope, an audience...), each single-flight
 * on its own and holding its own tokens, with at most `maxSessions` of them kept.
 *
 * @example
 * const sessions = createRefresherPool<{ tenant: string; scope: string }>({
 *   refresh: ({ key, signal }) => grantOf(key.tenant)({ tokens: undefined, signal }),
 *   maxSessions: 1_000,
 * })
 * const token = await sessions.get({ tenant: 'acme', scope: 'reports:read' }).getAccessToken()
 */
export function createRefresherPool<Key extends RefresherPoolKey = RefresherPoolKey>(
  options: RefresherPoolOptions<Key>,
): RefresherPool<Key> {
  return new KeyedRefresherPool(options)
}

/** One session: its key, its refresher, and what the idle list keeps of it. */
interface Session<Key extends RefresherPoolKey> extends LruEntry {
  readonly id: string
  /** A frozen copy of the key first given for it. */
  readonly key: Key
  inner: RefreshCoordinator
  /** What `get()` hands out: `inner`, with each call counted as the session's work. */
  refresher: TokenRefresher
  readonly pool: KeyedRefresherPool<Key>
  readonly lru: SessionLru<Session<Key>>
  release: () => void
  releaseLater: () => void
  unsubscribes: Array<() => void> | undefined
}

class KeyedRefresherPool<Key extends RefresherPoolKey> implements RefresherPool<Key> {
  readonly #refresh: RefresherPoolOptions<Key>['refresh']
  readonly #store: ((key: Key) => TokenStore) | undefined
  readonly #initialTokens: ((key: Key) => TokenSet | undefined) | undefined
  readonly #maxSessions: number
  readonly #onSessionExpired: RefresherPoolOptions<Key>['onSessionExpired']
  readonly #onEvent: RefresherPoolOptions<Key>['onEvent']
  // The options passed on to each refresher as they are, checked once by createTokenRefresher.
  readonly #refresherOptions: Omit<TokenRefresherOptions, 'refresh'>
  readonly #sessions = new SessionIndex<Session<Key>>()
  readonly #lru = new SessionLru<Session<Key>>(() => this.#evictBeyond(this.#maxSessions))
  // Sign-outs whose store clear has not finished: a session created meanwhile reads its store after it.
  readonly #deleting = new Map<string, Promise<unknown>>()

  constructor(options: RefresherPoolOptions<Key>) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError('Expected `options` to be an object with at least a `refresh` function')
    }
    const { refresh, store, initialTokens, maxSessions, onSessionExpired, onEvent } = options
    if (typeof refresh !== 'function') throw new TypeError('Expected `refresh` to be a function')
    this.#refresh = refresh
    this.#store = optionalFunction(store, 'store', ' that returns the TokenStore of a key')
    this.#initialTokens = optionalFunction(
      initialTokens,
      'initialTokens',
      ' that returns the tokens of a key, or undefined',
    )
    this.#onSessionExpired = optionalFunction(onSessionExpired, 'onSessionExpired')
    this.#onEvent = optionalFunction(onEvent, 'onEvent')
    const max = maxSessions ?? defaultMaxSessions
    if (
      typeof max !== 'number' ||
      !(max >= 1) ||
      (!Number.isInteger(max) && max !== Number.POSITIVE_INFINITY)
    ) {
      throw new TypeError('Expected `maxSessions` to be a positive integer, or Infinity')
    }
    this.#maxSessions = max
    const refresherOptions: Record<string, unknown> = {}
    for (const [name, value] of Object.entries(options)) {
      if (!poolOptionNames.has(name)) refresherOptions[name] = value
    }
    // The refresher checks the rest (and refuses unknown options), naming each as the pool's caller wrote it.
    createTokenRefresher({ ...refresherOptions, refresh: neverCalled })
    this.#refresherOptions = refresherOptions
  }

  get size(): number {
    return this.#sessions.size
  }

  get(key: Key): TokenRefresher {
    const session = this.#sessions.find(key)
    // Not moved in the idle list here: each call on the refresher holds the session, and its release makes it
    // the most recently used, which is when a session counts as used.
    return session === undefined ? this.#create(key).refresher : session.refresher
  }

  async delete(key: Key): Promise<void> {
    const id = sessionIdOf(key)
    const session = this.#sessions.find(key)
    let clearing: Promise<unknown>
    if (session !== undefined) {
      this.#drop(session)
      // Through the refresher, so that a refresh still running is superseded and never writes its result.
      clearing = session.inner.clear().finally(() => unsubscribeAll(session))
    } else if (this.#store !== undefined) {
      const store = this.#storeOf(frozenKey(key))
      clearing = Promise.resolve().then(() => store.clear())
    } else {
      return
    }
    const settled: Promise<unknown> = Promise.allSettled([this.#deleting.get(id), clearing]).then(
      () => {
        if (this.#deleting.get(id) === settled) this.#deleting.delete(id)
      },
    )
    this.#deleting.set(id, settled)
    await clearing
  }

  [inspectSymbol](): string {
    return `RefresherPool { size: ${this.#sessions.size}, maxSessions: ${this.#maxSessions} }`
  }

  #create(givenKey: Key): Session<Key> {
    const id = sessionIdOf(givenKey)
    const key = frozenKey(givenKey)
    const store = this.#store === undefined ? undefined : this.#storeOf(key)
    const initialTokens = this.#initialTokens?.(key)
    const lru = this.#lru
    const session = newSession(id, key, this, lru)
    const onSessionExpired = this.#onSessionExpired
    const onEvent = this.#onEvent
    session.inner = new RefreshCoordinator(
      resolveOptions({
        ...this.#refresherOptions,
        refresh: sessionRefresh(session, this.#refresh),
        ...(store === undefined ? {} : { store: this.#trackedStore(session, store) }),
        ...(initialTokens === undefined ? {} : { initialTokens }),
        ...(onSessionExpired === undefined
          ? {}
          : { onSessionExpired: withKey(onSessionExpired, key) }),
        ...(onEvent === undefined ? {} : { onEvent: eventsWithKey(onEvent, keyForEvents(key)) }),
      }),
    )
    // Room is made before the new session joins, so that it is never the one evicted to make it.
    this.#evictBeyond(this.#maxSessions - 1)
    this.#sessions.add(key, session)
    lru.add(session)
    return session
  }

  #storeOf(key: Key): TokenStore {
    const store = (this.#store as (key: Key) => TokenStore)(key)
    if (!hasMethods(store, ['get', 'set', 'clear'])) {
      throw new TypeError(
        'Expected `store(key)` to return an object with `get`, `set` and `clear` methods',
      )
    }
    return store
  }

  // Counts the session's store calls as its work, holds a read back until a sign-out of the same key has cleared
  // the store, and keeps what the refresher subscribed, to unsubscribe it when the session is dropped.
  #trackedStore(session: Session<Key>, store: TokenStore): TokenStore {
    const tracked: TokenStore = {
      get: () => {
        const deleting = this.#deleting.get(session.id)
        return this.#trackStoreCall(
          session,
          deleting === undefined ? store.get() : deleting.then(() => store.get()),
        )
      },
      set: (tokens) => this.#trackStoreCall(session, store.set(tokens)),
      clear: () => this.#trackStoreCall(session, store.clear()),
    }
    const { lock, subscribe } = store
    if (typeof lock === 'function') {
      tracked.lock = <T>(critical: () => Promise<T>, options: { signal: AbortSignal }) =>
        this.#trackStoreCall(session, lock.call(store, critical, options) as Promise<T>)
    }
    if (typeof subscribe === 'function') {
      tracked.subscribe = (listener) => {
        const unsubscribe = subscribe.call(store, (tokens) => {
          if (!session.dropped) listener(tokens)
        })
        session.unsubscribes ??= []
        const unsubscribes = session.unsubscribes
        unsubscribes.push(unsubscribe)
        return () => {
          const index = unsubscribes.indexOf(unsubscribe)
          if (index === -1) return
          unsubscribes.splice(index, 1)
          unsubscribe()
        }
      }
    }
    return tracked
  }

  #trackStoreCall<T>(session: Session<Key>, result: T): T {
    this.#lru.hold(session)
    if (isThenable(result)) {
      Promise.resolve(result).then(session.releaseLater, session.releaseLater)
    } else {
      session.releaseLater()
    }
    return result
  }

  #evictBeyond(limit: number): void {
    for (
      let session = this.#lru.leastRecentlyUsed;
      session !== undefined && this.#sessions.size > limit;
      session = this.#lru.leastRecentlyUsed
    ) {
      this.#drop(session)
      unsubscribeAll(session)
      this.#emit({ type: 'session-evicted', key: keyForEvents(session.key) })
    }
  }

  #drop(session: Session<Key>): void {
    this.#lru.drop(session)
    this.#sessions.remove(session.key)
  }

  #emit(event: RefresherPoolEvent<Key>): void {
    const onEvent = this.#onEvent
    if (onEvent === undefined) return
    try {
      onEvent(event)
    } catch (error) {
      console.error('tokenflight: the onEvent listener threw', error)
    }
  }
}

/**
 * The refresher `get()` hands out: the session's own, with each call counted as the session's work until it
 * settles, so that a session with a caller waiting is never evicted, whatever the refresher does inside. Once its
 * session was evicted or deleted, its calls go to the current session of the same key, so that a refresher kept
 * by the caller never runs a second refresh for a key beside the pool's.
 */
class PooledRefresher<Key extends RefresherPoolKey> implements TokenRefresher, HasFreshAccessToken {
  readonly #session: Session<Key>

  constructor(session: Session<Key>) {
    this.#session = session
  }

  getAccessToken(options?: WaitOptions): Promise<string> {
    const session = this.#session
    if (session.dropped) return session.pool.get(session.key).getAccessToken(options)
    // A fresh token is handed out with no work to wait for: the session is only marked used, with no promise to track.
    const token = this[freshAccessTokenKey]()
    if (token !== undefined) return Promise.resolve(token)
    return this.#track(session.inner.getAccessToken(options))
  }

  [freshAccessTokenKey](): string | undefined {
    const session = this.#session
    if (session.dropped) return undefined
    const token = session.inner[freshAccessTokenKey]()
    if (token !== undefined) session.lru.touch(session)
    return token
  }

  refreshAfterUnauthorized(rejectedAccessToken: string, options?: WaitOptions): Promise<string> {
    const session = this.#session
    if (session.dropped) {
      return session.pool.get(session.key).refreshAfterUnauthorized(rejectedAccessToken, options)
    }
    return this.#track(session.inner.refreshAfterUnauthorized(rejectedAccessToken, options))
  }

  refresh(options?: WaitOptions): Promise<TokenSet> {
    const session = this.#session
    if (session.dropped) return session.pool.get(session.key).refresh(options)
    return this.#track(session.inner.refresh(options))
  }

  getTokens(): TokenSet | undefined {
    const session = this.#session
    return session.dropped ? session.pool.get(session.key).getTokens() : session.inner.getTokens()
  }

  get dpop(): DPoPHandle | undefined {
    return this.#session.inner.dpop
  }

  setTokens(tokens: TokenSet): Promise<void> {
    const session = this.#session
    if (session.dropped) return session.pool.get(session.key).setTokens(tokens)
    return this.#track(session.inner.setTokens(tokens))
  }

  clear(): Promise<void> {
    const session = this.#session
    if (session.dropped) return session.pool.get(session.key).clear()
    return this.#track(session.inner.clear())
  }

  settled(): Promise<void> {
    return this.#session.inner.settled()
  }

  [inspectSymbol](...args: unknown[]): unknown {
    const inner = this.#session.inner as { [inspectSymbol]?: (...args: unknown[]) => unknown }
    return inner[inspectSymbol]?.apply(inner, args) ?? 'TokenRefresher {}'
  }

  #track<T>(promise: Promise<T>): Promise<T> {
    const session = this.#session
    session.lru.hold(session)
    promise.then(session.release, session.release)
    return promise
  }
}

// The closures of a session are made here rather than inline, so that each keeps only what it uses alive: a
// pool holds thousands of sessions.

function newSession<Key extends RefresherPoolKey>(
  id: string,
  key: Key,
  pool: KeyedRefresherPool<Key>,
  lru: SessionLru<Session<Key>>,
): Session<Key> {
  const session: Session<Key> = {
    id,
    key,
    inner: undefined as unknown as RefreshCoordinator,
    refresher: undefined as unknown as TokenRefresher,
    pending: 0,
    releasing: false,
    dropped: false,
    inIdleList: false,
    older: undefined,
    newer: undefined,
    pool,
    lru,
    release: noop,
    releaseLater: noop,
    unsubscribes: undefined,
  }
  session.release = releaser(lru, session, false)
  session.releaseLater = releaser(lru, session, true)
  session.refresher = new PooledRefresher(session)
  return session
}

function releaser<Entry extends LruEntry>(
  lru: SessionLru<Entry>,
  entry: Entry,
  later: boolean,
): () => void {
  return later ? () => lru.releaseLater(entry) : () => lru.release(entry)
}

// The session's refresh function: the pool's, told the key, and counted as the session's work.
function sessionRefresh<Key extends RefresherPoolKey>(
  session: Session<Key>,
  refresh: RefresherPoolOptions<Key>['refresh'],
): RefreshFunction {
  return (context) => {
    session.lru.hold(session)
    let result: Promise<TokenSet>
    try {
      result = Promise.resolve(refresh({ ...context, key: session.key }))
    } catch (error) {
      result = Promise.reject(error)
    }
    result.then(session.releaseLater, session.releaseLater)
    return result
  }
}

function withKey<Key extends RefresherPoolKey>(
  onSessionExpired: (error: SessionExpiredError, key: Key) => void,
  key: Key,
): (error: SessionExpiredError) => void {
  return (error) => onSessionExpired(error, key)
}

function eventsWithKey<Key extends RefresherPoolKey>(
  onEvent: (event: RefresherPoolEvent<Key>) => void,
  key: Key,
): (event: TokenRefreshEvent) => void {
  return (event) => onEvent({ ...event, key })
}

function optionalFunction<T>(value: T, name: string, what = ''): T {
  if (value !== undefined && typeof value !== 'function') {
    throw new TypeError(`Expected \`${name}\` to be a function${what}`)
  }
  return value
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  )
}

function unsubscribeAll(session: { unsubscribes: Array<() => void> | undefined }): void {
  const unsubscribes = session.unsubscribes
  if (unsubscribes === undefined) return
  // Emptied in place, so that the unsubscribe functions handed to the refresher become no-ops.
  for (const unsubscribe of unsubscribes.splice(0)) {
    try {
      unsubscribe()
    } catch (error) {
      console.error('tokenflight: a store unsubscribe function threw', error)
    }
  }
}

const neverCalled = () => Promise.reject(new Error('This refresher only checks the options'))
