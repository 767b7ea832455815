import { waitFor } from './wait-for.js'

/** Runs `critical` alone, after every earlier one settled; `signal` gives up waiting. */
export type Lock = <T>(critical: () => Promise<T>, signal: AbortSignal) => Promise<T>

/**
 * An in-process lock with the semantics of `TokenStore.lock`, for a refresher whose store is not shared: a refresh
 * function that outlives its timeout still holds it, so that the next refresh waits for its result instead of
 * sending the same refresh token again. A free lock runs `critical` at once, in the caller's turn.
 */
export function createLocalLock(): Lock {
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
