/** What {@link runUnderLease} needs of a lease a store has just acquired. */
export interface HeldLease {
  /** The signal the lock was taken with: the refresh's deadline. */
  signal: AbortSignal
  /** How long the lease lasts unless renewed. */
  leaseMs: number
  /** Stops renewing the lease, so that it runs out by itself. */
  stopRenewing: () => void
  /** Lets the lease go. */
  release: () => Promise<void>
}

/**
 * Runs `critical` while a lease is held, then releases it. A section that outlives `signal` keeps its lease one more
 * `leaseMs`, time for a late result to be saved; then the lease stops being renewed, so that a section that never
 * settles cannot hold the other processes off for good.
 *
 * @example
 * const held = await acquire(signal)
 * return runUnderLease(critical, {
 *   signal,
 *   leaseMs,
 *   stopRenewing: () => clearInterval(held.renewal),
 *   release: () => release(held),
 * })
 */
export async function runUnderLease<T>(critical: () => Promise<T>, lease: HeldLease): Promise<T> {
  const cancelExpiry = expireAfterAbort(lease.signal, lease.leaseMs, lease.stopRenewing)
  try {
    return await critical()
  } finally {
    cancelExpiry()
    await lease.release()
  }
}

/**
 * Checks the arguments of a store's `lock(critical, { signal })` and returns the signal; a `TypeError` names what is
 * wrong.
 *
 * @example
 * lock: async (critical, options) => {
 *   const signal = lockSignalOf(critical, options)
 *   ...
 * }
 */
export function lockSignalOf(critical: unknown, options: unknown): AbortSignal {
  if (typeof critical !== 'function') throw new TypeError('Expected `critical` to be a function')
  const signal = (options as { signal?: unknown } | undefined)?.signal
  if (!(signal instanceof AbortSignal)) {
    throw new TypeError('Expected `options.signal` to be an AbortSignal')
  }
  return signal
}

/**
 * Once `signal` aborts, calls `expire` after `ms` more, and never if the returned cancel runs first: a lock section
 * that outlives its refresh's deadline keeps its lease one more lease period, time for a late result to be saved,
 * then stops renewing it, so that a section that never settles cannot hold the other processes off for good. The
 * timer never keeps a Node process alive.
 */
function expireAfterAbort(signal: AbortSignal, ms: number, expire: () => void): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined
  const onAbort = () => {
    timer = setTimeout(expire, ms)
    ;(timer as { unref?: () => void }).unref?.()
  }
  if (signal.aborted) onAbort()
  else signal.addEventListener('abort', onAbort, { once: true })
  return () => {
    signal.removeEventListener('abort', onAbort)
    clearTimeout(timer)
  }
}
