import type { RefreshFunction, TokenSet } from '../src/index.js'

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
