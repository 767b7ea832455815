/** The blocking window is at most this share of a token's lifetime, so a short-lived token is not waited on at once. */
export const blockingShareOfLifetime = 1 / 4
/** The background window is at most this share of a token's lifetime, so a short-lived token is not refreshed on every call. */
export const backgroundShareOfLifetime = 1 / 2

/** The two instants a token is judged by: from `backgroundRefreshAt` one refresh starts in the background, from `refreshAt` callers wait for one. */
export interface RefreshWindows {
  refreshAt: number
  backgroundRefreshAt: number
}

const never: RefreshWindows = {
  refreshAt: Number.POSITIVE_INFINITY,
  backgroundRefreshAt: Number.POSITIVE_INFINITY,
}

/**
 * Computes when a token must be refreshed (callers wait) and when it should be (in the background), with each
 * window clamped to its share of the lifetime left; a token of unknown expiry is refreshed only after a 401.
 * The lifetime is counted from `now`, since a token read from a store has no known issue time.
 *
 * @example
 * refreshWindows(now + 100, now, { refreshBeforeExpiryMs: 60_000, backgroundRefreshBeforeExpiryMs: 300_000 })
 * // { refreshAt: now + 75, backgroundRefreshAt: now + 50 }
 */
export function refreshWindows(
  expiresAt: number | undefined,
  now: number,
  options: { refreshBeforeExpiryMs: number; backgroundRefreshBeforeExpiryMs: number },
): RefreshWindows {
  if (expiresAt === undefined) return never
  const lifetimeMs = Math.max(0, expiresAt - now)
  const blockingMs = Math.min(options.refreshBeforeExpiryMs, lifetimeMs * blockingShareOfLifetime)
  const backgroundMs = Math.max(
    blockingMs,
    Math.min(options.backgroundRefreshBeforeExpiryMs, lifetimeMs * backgroundShareOfLifetime),
  )
  return { refreshAt: expiresAt - blockingMs, backgroundRefreshAt: expiresAt - backgroundMs }
}
