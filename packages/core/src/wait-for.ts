/**
 * One caller waiting with a signal: what settles its promise, whichever comes first. Settling it twice is harmless
 * (a promise settles once), so neither path has to undo the other at once.
 */
class Waiter {
  readonly signal: AbortSignal
  readonly resolve: (value: unknown) => void
  readonly reject: (reason: unknown) => void

  constructor(
    signal: AbortSignal,
    resolve: (value: unknown) => void,
    reject: (reason: unknown) => void,
  ) {
    this.signal = signal
    this.resolve = resolve
    this.reject = reject
  }
}

// One listener per signal, however many callers wait with it: Node warns past ten listeners on one
// signal (a page-wide AbortController shared by every request, say), and each listener costs memory.
// A signal with one waiter keeps that waiter as is; a Set is made only for the second.
const waitersBySignal = new WeakMap<EventTarget, Waiter | Set<Waiter>>()

function rejectWaiters(event: Event): void {
  const signal = event.currentTarget as AbortSignal
  const waiting = waitersBySignal.get(signal)
  waitersBySignal.delete(signal)
  if (waiting instanceof Waiter) waiting.reject(signal.reason)
  else if (waiting !== undefined) for (const waiter of waiting) waiter.reject(signal.reason)
}

function listen(waiter: Waiter): void {
  const { signal } = waiter
  const waiting = waitersBySignal.get(signal)
  if (waiting === undefined) {
    waitersBySignal.set(signal, waiter)
    signal.addEventListener('abort', rejectWaiters, { once: true })
  } else if (waiting instanceof Waiter) {
    waitersBySignal.set(signal, new Set([waiting, waiter]))
  } else {
    waiting.add(waiter)
  }
}

function forget(waiter: Waiter): void {
  const { signal } = waiter
  const waiting = waitersBySignal.get(signal)
  if (
    waiting === waiter ||
    (waiting instanceof Set && waiting.delete(waiter) && waiting.size === 0)
  ) {
    waitersBySignal.delete(signal)
    signal.removeEventListener('abort', rejectWaiters)
  }
}

// The waiters of each promise, settled by one reaction on it: a waiter then costs one small record and no
// reaction or closure of its own, which counts with thousands of requests waiting for one refresh.
const waitersByPromise = new WeakMap<Promise<unknown>, Waiter[]>()

function waitersOf(promise: Promise<unknown>): Waiter[] {
  let waiters = waitersByPromise.get(promise)
  if (waiters === undefined) {
    const created: Waiter[] = []
    waiters = created
    waitersByPromise.set(promise, created)
    promise.then(
      (value) => {
        waitersByPromise.delete(promise)
        for (const waiter of created) {
          forget(waiter)
          waiter.resolve(value)
        }
      },
      (error: unknown) => {
        waitersByPromise.delete(promise)
        for (const waiter of created) {
          forget(waiter)
          waiter.reject(error)
        }
      },
    )
  }
  return waiters
}

/**
 * Settles like `promise`, or rejects with the signal's reason as soon as it aborts; the promise itself goes on.
 */
export function waitFor<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise
  if (signal.aborted) return Promise.reject(signal.reason)
  const waiters = waitersOf(promise)
  return new Promise<T>((resolve, reject) => {
    const waiter = new Waiter(signal, resolve as (value: unknown) => void, reject)
    listen(waiter)
    waiters.push(waiter)
  })
}
