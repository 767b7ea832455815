/** Back-off settings after transient refresh failures. */
export interface BackoffOptions {
  /** The wait after the first failure, doubled after each further one. */
  refreshBackoffMs: number
  /** The longest wait, `Retry-After` included. */
  maxRefreshBackoffMs: number
}

/** Each wait is drawn between this share of its exponential value and the whole of it, so that clients spread out. */
const jitterShare = 0.5

/**
 * How long to wait before the refresh after the `failures`-th transient failure in a row: exponential with jitter,
 * at least what the server's `Retry-After` asked for, and never more than the cap.
 *
 * @example
 * backoffDelayMs(3, { refreshBackoffMs: 1_000, maxRefreshBackoffMs: 60_000 }, undefined) // 2 000 to 4 000
 */
export function backoffDelayMs(
  failures: number,
  options: BackoffOptions,
  retryAfterMs: number | undefined,
  random: () => number = Math.random,
): number {
  const exponentialMs = Math.min(
    options.maxRefreshBackoffMs,
    options.refreshBackoffMs * 2 ** Math.max(0, failures - 1),
  )
  const jitteredMs = exponentialMs * (1 - jitterShare * random())
  return Math.min(options.maxRefreshBackoffMs, Math.max(jitteredMs, retryAfterMs ?? 0))
}

/**
 * Reads how long a server asked to wait from a failure or its causes: a `retryAfterMs` number, or a `Retry-After`
 * header (seconds or an HTTP date) on `headers` or `response.headers`, as fetch, axios and ky errors carry them.
 */
export function readRetryAfterMs(error: unknown, now: number): number | undefined {
  let current = error
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const { retryAfterMs, headers, response, cause } = current as {
      retryAfterMs?: unknown
      headers?: unknown
      response?: { headers?: unknown }
      cause?: unknown
    }
    if (typeof retryAfterMs === 'number' && retryAfterMs >= 0) return retryAfterMs
    const header = headerValue(headers) ?? headerValue(response?.headers)
    if (header !== undefined) return parseRetryAfter(header, now)
    current = cause
  }
  return undefined
}

function headerValue(headers: unknown): string | undefined {
  if (typeof headers !== 'object' || headers === null) return undefined
  const get = (headers as { get?: unknown }).get
  const value =
    typeof get === 'function'
      ? get.call(headers, 'retry-after')
      : ((headers as Record<string, unknown>)['retry-after'] ??
        (headers as Record<string, unknown>)['Retry-After'])
  return typeof value === 'string' && value !== '' ? value : undefined
}

// RFC 9110, section 10.2.3: a number of seconds, or an HTTP date.
function parseRetryAfter(value: string, now: number): number | undefined {
  if (/^\d+$/.test(value.trim())) return Number(value) * 1000
  const at = Date.parse(value)
  return Number.isNaN(at) ? undefined : Math.max(0, at - now)
}
