// A property rather than a WeakSet of this module: an adapter that resolves another copy of core must still
// recognize the signal, or the refresh's own token request would wait for that very refresh.
const refreshSignalBrand = Symbol.for('@tokenflight/core.refreshSignal')

/** Marks the signal a refresher hands its refresh function. */
export function markRefreshSignal(signal: AbortSignal): void {
  Object.defineProperty(signal, refreshSignalBrand, { value: true })
}

/**
 * Tells whether a signal is one a refresher handed its refresh function: a request that carries it is that
 * refresh's own token request, which an adapter must send as it is rather than wait on the refresh.
 *
 * @example
 * if (isRefreshSignal(init?.signal)) return fetch(input, init)
 */
export function isRefreshSignal(signal: unknown): boolean {
  return (
    typeof signal === 'object' &&
    signal !== null &&
    (signal as { [refreshSignalBrand]?: unknown })[refreshSignalBrand] === true
  )
}
