/** What {@link SessionLru} keeps of a session. */
export interface LruEntry {
  /** Caller calls, store calls and refreshes that have not settled, plus one while `releasing`. */
  pending: number
  /** Internal work settled; the session stays busy until the next macrotask, see `releaseLater`. */
  releasing: boolean
  dropped: boolean
  inIdleList: boolean
  older: LruEntry | undefined
  newer: LruEntry | undefined
}

/**
 * Tells busy sessions from idle ones and keeps the idle ones in a list, least recently used first, linked through
 * the sessions themselves so that a use moves one in O(1) without allocating.
 */
export class SessionLru<Entry extends LruEntry> {
  #leastRecentlyUsed: Entry | undefined
  #mostRecentlyUsed: Entry | undefined
  #releasing: Entry[] = []
  readonly #onIdle: () => void

  /** `onIdle` runs whenever a busy session has become idle. */
  constructor(onIdle: () => void) {
    this.#onIdle = onIdle
  }

  /** The idle session used least recently, the next to evict. */
  get leastRecentlyUsed(): Entry | undefined {
    return this.#leastRecentlyUsed
  }

  /** Adds a new session, idle and most recently used. */
  add(entry: Entry): void {
    this.#append(entry)
  }

  /** Counts one more piece of running work: a busy session leaves the idle list. */
  hold(entry: Entry): void {
    if (entry.pending++ === 0 && entry.inIdleList) this.#unlink(entry)
  }

  /**
   * Marks a session used by work that is already done: an idle one becomes most recently used (a busy one becomes so
   * when its work settles), and `onIdle` runs as after a release, since the pool may be beyond its size.
   */
  touch(entry: Entry): void {
    if (!entry.inIdleList) return
    if (entry.newer !== undefined) {
      this.#unlink(entry)
      this.#append(entry)
    }
    this.#onIdle()
  }

  /** One piece of work settled; the session is idle again, and most recently used, once none is left. */
  release(entry: Entry): void {
    if (--entry.pending > 0 || entry.dropped) return
    this.#append(entry)
    this.#onIdle()
  }

  // After a refresh settles or a store call returns, the refresher goes on for some microtasks (validating,
  // chaining the store write, publishing) before its next store call. The session stays busy until a macrotask
  // runs, by which time every such microtask has, so that it is never dropped between two steps of its work.
  /** Releases internal work (a refresh, a store call) at the next macrotask instead of now. */
  releaseLater(entry: Entry): void {
    if (!entry.releasing) {
      entry.releasing = true
      entry.pending++
      if (this.#releasing.push(entry) === 1) scheduleMacrotask(this.#releaseAll)
    }
    entry.pending--
  }

  /** Takes a session out for good (evicted or deleted); its work may go on, but it never returns to the list. */
  drop(entry: Entry): void {
    if (entry.inIdleList) this.#unlink(entry)
    entry.dropped = true
  }

  readonly #releaseAll = (): void => {
    const entries = this.#releasing
    this.#releasing = []
    for (const entry of entries) {
      entry.releasing = false
      this.release(entry)
    }
  }

  #append(entry: Entry): void {
    entry.older = this.#mostRecentlyUsed
    entry.newer = undefined
    if (this.#mostRecentlyUsed === undefined) this.#leastRecentlyUsed = entry
    else this.#mostRecentlyUsed.newer = entry
    this.#mostRecentlyUsed = entry
    entry.inIdleList = true
  }

  #unlink(entry: Entry): void {
    const { older, newer } = entry
    if (older === undefined) this.#leastRecentlyUsed = newer as Entry | undefined
    else older.newer = newer
    if (newer === undefined) this.#mostRecentlyUsed = older as Entry | undefined
    else newer.older = older
    entry.older = undefined
    entry.newer = undefined
    entry.inIdleList = false
  }
}

// setImmediate where there is one (Node), which runs once this turn's microtasks have; setTimeout elsewhere.
// Read once, when core loads: fake timers a test installs later do not hold sessions busy. Core is typed without
// Node's globals, hence the lookup.
const { setImmediate } = globalThis as { setImmediate?: (callback: () => void) => unknown }
const scheduleMacrotask: (callback: () => void) => void =
  typeof setImmediate === 'function'
    ? (callback) => {
        setImmediate(callback)
      }
    : (callback) => {
        setTimeout(callback, 0)
      }
