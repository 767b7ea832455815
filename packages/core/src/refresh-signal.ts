const refreshSignals = new WeakSet<object>()

/** Marks the signal a refresher hands its refresh function. */
export function markRefreshSignal(signal: AbortSignal): void {
  refreshSignals.add(signal)
}

/**
 * Tells whether a signal is one a refresher handed its refresh function: a request that carries it is that
 * refresh's own token request, which an adapter must send as it is rather than wait on the refresh.
 *
 * @example
 * if (isRefreshSignal(init?.signal)) return fetch(input, init)
 */
export function isRefreshSignal(signal: unknown): boolean {
  return typeof signal === 'object' && signal !== null && refreshSignals.has(signal)
}
