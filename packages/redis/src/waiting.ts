/** Resolves when `promise` does; rejects with the signal's reason if it aborts first. */
export function abortable(promise: Promise<void>, signal: AbortSignal): Promise<void> {
  signal.throwIfAborted()
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    })
  })
}

/** Waits `ms`, or rejects with the signal's reason if it aborts first. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal.reason)
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

/**
 * Once `signal` aborts, calls `expire` after `ms` more: a critical section that outlives its deadline keeps the
 * lock one more lease, time for a late result to be saved, and then stops renewing it, so that one that never
 * settles cannot hold the others off for good. Returns the cancel.
 */
export function expireAfterAbort(signal: AbortSignal, ms: number, expire: () => void): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined
  const onAbort = () => {
    timer = setTimeout(expire, ms)
    timer.unref?.()
  }
  if (signal.aborted) onAbort()
  else signal.addEventListener('abort', onAbort, { once: true })
  return () => {
    signal.removeEventListener('abort', onAbort)
    clearTimeout(timer)
  }
}
