import { waitFor } from '../wait-for.js'

/** Runs `critical` alone, after every earlier one settled; `signal` gives up waiting. */
export type LockQueue = <T>(critical: () => Promise<T>, signal: AbortSignal) => Promise<T>

/**
 * An in-process lock with the semantics of `TokenStore.lock`: critical sections run one after the other, in order,
 * and a waiter whose signal aborts gives up its turn without letting the next one in early. A free queue runs
 * `critical` at once, in the caller's turn. A refresher whose store is not shared locks with it; a shared store queues
 * its own callers with it, so that the shared medium (a file, Redis) only arbitrates between processes.
 *
 * @example
 * const queue = createLockQueue()
 * const lock: TokenStore['lock'] = (critical, { signal }) =>
 *   queue(async () => {
 *     const lease = await acquire(signal)
 *     try { return await critical() } finally { await release(lease) }
 *   }, signal)
 */
export function createLockQueue(): LockQueue {
  // Settles when the last holder so far has released; undefined while nobody holds the lock.
  let tail: Promise<void> | undefined
  return <T>(critical: () => Promise<T>, signal: AbortSignal) => {
    const previous = tail
    let release!: () => void
    const mine = new Promise<void>((resolve) => {
      release = resolve
    })
    // A waiter that gives up frees its turn at once, but whoever comes next still waits for `previous`.
    const chained = previous === undefined ? mine : previous.then(() => mine)
    tail = chained
    // Free again only once everyone before has released too, not when a waiter merely gave up.
    chained.then(() => {
      if (tail === chained) tail = undefined
    })
    const held =
      previous === undefined
        ? new Promise<T>((resolve) => resolve(critical()))
        : waitFor(previous, signal).then(critical)
    return held.finally(release)
  }
}
