import type { RefreshFunction, TokenSet, TokenStore } from '../src/index.js'

export interface Deferred<T> {
  promise: Promise<T>
  resolve: (value: T) => void
  reject: (error: unknown) => void
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void
  let reject!: (error: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

export interface RefreshCall {
  tokens: TokenSet | undefined
  signal: AbortSignal
  resolve: (tokens: TokenSet) => void
  reject: (error: unknown) => void
}

/** A refresh function whose calls a test settles by hand. */
export function controlledRefresh(): { refresh: RefreshFunction; calls: RefreshCall[] } {
  const calls: RefreshCall[] = []
  const refresh: RefreshFunction = ({ tokens, signal }) => {
    const call = deferred<TokenSet>()
    calls.push({ tokens, signal, resolve: call.resolve, reject: call.reject })
    return call.promise
  }
  return { refresh, calls }
}

export const startAt = Date.UTC(2026, 0, 1)

/** A clock a test moves by hand. */
export function manualClock(start = startAt): { now: () => number; advance: (ms: number) => void } {
  let current = start
  return {
    now: () => current,
    advance: (ms) => {
      current += ms
    },
  }
}

/** Lets every pending promise reaction run. */
export async function flushPromises(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise<void>((resolve) => setImmediate(resolve))
}

export const hour = 3_600_000

/**
 * One session kept in memory and shared by several refreshers, each through its own store object, with a lock
 * and change notifications as a file, Redis or browser store has them: a double of a shared store.
 */
export function sharedSession(initial?: TokenSet) {
  let stored = initial
  let lockTail: Promise<void> = Promise.resolve()
  let holders = 0
  const listeners = new Map<object, (tokens: TokenSet | undefined) => void>()
  const log: string[] = []
  const notifyOthers = (writer: object) => {
    for (const [owner, listener] of listeners) if (owner !== writer) listener(stored)
  }
  function storeFor(name: string): TokenStore & Required<Pick<TokenStore, 'lock' | 'subscribe'>> {
    const self = {}
    return {
      get: async () => stored,
      set: async (tokens) => {
        log.push(`${name} set ${tokens.accessToken}`)
        stored = tokens
        notifyOthers(self)
      },
      clear: async () => {
        log.push(`${name} clear`)
        stored = undefined
        notifyOthers(self)
      },
      lock: async (critical, { signal }) => {
        const previous = lockTail
        let release!: () => void
        const released = new Promise<void>((resolve) => {
          release = resolve
        })
        lockTail = previous.then(() => released)
        // Like a real store's lock, a waiter gives up as soon as its signal aborts; its turn passes on once the
        // holder before it is done.
        await Promise.race([previous, whenAborted(signal)])
        if (signal.aborted) {
          release()
          throw signal.reason
        }
        holders++
        log.push(`${name} locked`)
        try {
          return await critical()
        } finally {
          holders--
          log.push(`${name} unlocked`)
          release()
        }
      },
      subscribe: (listener) => {
        listeners.set(self, listener)
        return () => listeners.delete(self)
      },
    }
  }
  return {
    storeFor,
    log,
    read: () => stored,
    /** A peer that writes without the lock or a notification, as a process that crashed mid-way might have. */
    writeBehindTheBack: (tokens: TokenSet | undefined) => {
      stored = tokens
    },
    holders: () => holders,
  }
}

function whenAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve()
    else signal.addEventListener('abort', () => resolve(), { once: true })
  })
}

/** A token endpoint with single-use refresh tokens that rotate on every refresh, counting each call and reuse. */
export function rotatingEndpoint() {
  let issued = 0
  const consumed = new Set<string>()
  const endpoint = {
    calls: 0,
    reused: 0,
    refresh: (async ({ tokens }) => {
      endpoint.calls++
      await Promise.resolve()
      const refreshToken = tokens?.refreshToken
      if (refreshToken === undefined || consumed.has(refreshToken)) {
        if (refreshToken !== undefined) endpoint.reused++
        throw { error: 'invalid_grant' }
      }
      consumed.add(refreshToken)
      issued++
      return { accessToken: `a${issued}`, refreshToken: `r${issued}` }
    }) satisfies RefreshFunction,
  }
  return endpoint
}
