import { RefreshTimeoutError } from './errors.js'

/** A point in time after which a refresh, and every store call made for it, stops holding its callers. */
export interface Deadline {
  /** Aborts with a `RefreshTimeoutError` when the deadline passes. */
  readonly signal: AbortSignal
  /**
   * Settles like `promise`, or rejects with the timeout once the deadline has passed, unless `isFinishing` says
   * that `promise` is about to settle anyway (a result is in hand and only bounded work is left).
   */
  race<T>(promise: Promise<T>, isFinishing?: () => boolean): Promise<T>
  /** Stops the timer; the signal stays as it is. */
  dispose(): void
}

/**
 * Starts a deadline `timeoutMs` from now, whose timer never keeps a Node process alive; `Infinity` never passes.
 *
 * @example
 * const deadline = startDeadline(30_000, 'Refresh did not settle within 30000 ms')
 * try { return await deadline.race(refresh({ signal: deadline.signal })) } finally { deadline.dispose() }
 */
export function startDeadline(timeoutMs: number, message: string): Deadline {
  const controller = new AbortController()
  const timer =
    timeoutMs === Number.POSITIVE_INFINITY
      ? undefined
      : setTimeout(() => controller.abort(new RefreshTimeoutError(message)), timeoutMs)
  ;(timer as { unref?: () => void } | undefined)?.unref?.()
  const { signal } = controller
  return {
    signal,
    race: (promise, isFinishing) =>
      new Promise((resolve, reject) => {
        const onAbort = () => {
          if (isFinishing?.() !== true) reject(signal.reason)
        }
        if (signal.aborted) onAbort()
        else signal.addEventListener('abort', onAbort, { once: true })
        promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
      }),
    dispose: () => clearTimeout(timer),
  }
}

/**
 * Waits for `work` until it settles or `timeoutMs` has passed, whichever comes first, and never rejects: what has not
 * settled by then (a refresh function or a store that never does) is not waited for.
 *
 * @example
 * await waitAtMost(30_000, Promise.allSettled(pendingWrites))
 */
export async function waitAtMost(timeoutMs: number, work: Promise<unknown>): Promise<void> {
  const deadline = startDeadline(
    timeoutMs,
    `Work in progress did not settle within ${timeoutMs} ms`,
  )
  try {
    await deadline.race(work)
  } catch {
    // The deadline passed, or `work` failed: either way there is nothing left to wait for.
  } finally {
    deadline.dispose()
  }
}
