/** Back-off settings after transient refresh failures. */
export interface BackoffOptions {
  /** The wait after the first failure, doubled after each further one. */
  refreshBackoffMs: number
  /** The longest wait, `Retry-After` included. */
  maxRefreshBackoffMs: number
}

/**
 * The back-off after transient refresh failures: how many in a row, the last one, until when callers that need
 * a refresh fail fast with it, and when a background refresh may be tried again. Instants are read from the
 * refresher's clock.
 */
export class RefreshBackoff<TError> {
  readonly #options: BackoffOptions & { backgroundRetryIntervalMs: number }
  #failures = 0
  #retryAt = 0
  #backgroundRetryAt = 0
  #error: TError | undefined

  /** `backgroundRetryIntervalMs` is the least time from a failure to the next background refresh. */
  constructor(options: BackoffOptions & { backgroundRetryIntervalMs: number }) {
    this.#options = options
  }

  /** The last failure, while `now` is inside its back-off; undefined otherwise. */
  failureAt(now: number): TError | undefined {
    return now < this.#retryAt ? this.#error : undefined
  }

  /** Whether a background refresh may start at `now`: no back-off runs and the retry interval has passed. */
  allowsBackgroundRefresh(now: number): boolean {
    return now >= this.#backgroundRetryAt && this.failureAt(now) === undefined
  }

  /** Counts a failure and returns when the back-off it starts ends. */
  record(error: TError, now: number): number {
    this.#failures++
    this.#error = error
    this.#retryAt =
      now + backoffDelayMs(this.#failures, this.#options, readRetryAfterMs(error, now))
    this.#backgroundRetryAt = now + this.#options.backgroundRetryIntervalMs
    return this.#retryAt
  }

  reset(): void {
    this.#failures = 0
    this.#retryAt = 0
    this.#backgroundRetryAt = 0
    this.#error = undefined
  }
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
 * Reads how long a server asked to wait, in milliseconds, from a failure or its causes: a `retryAfterMs` number, or
 * a `Retry-After` header (seconds or an HTTP date) on `headers` or `response.headers`, as a fetch `Response` and
 * axios and ky errors carry them; undefined when none says.
 *
 * @example
 * readRetryAfterMs(response, Date.now()) // 30 000 for `Retry-After: 30`
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
