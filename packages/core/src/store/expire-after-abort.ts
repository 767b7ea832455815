/**
 * Once `signal` aborts, calls `expire` after `ms` more, and never if the returned cancel runs first: a lock section
 * that outlives its refresh's deadline keeps its lease one more lease period, time for a late result to be saved,
 * then stops renewing it, so that a section that never settles cannot hold the other processes off for good. The
 * timer never keeps a Node process alive.
 *
 * @example
 * const cancel = expireAfterAbort(signal, leaseMs, () => clearInterval(renewal))
 * try { return await critical() } finally { cancel() }
 */
export function expireAfterAbort(signal: AbortSignal, ms: number, expire: () => void): () => void {
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
