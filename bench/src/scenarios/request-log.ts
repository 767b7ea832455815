import { HttpStatusError } from '../contenders/contender.js'
import { elapsedMs } from '../stats.js'

/** How the requests of one run ended. */
export interface RequestOutcome {
  requests: number
  succeeded: number
  /** Rejected, or still pending at the deadline (`hung`). */
  failed: number
  hung: number
  /** Failure descriptions and how often each occurred. */
  reasons: Map<string, number>
  /** From the first request to the last one that settled, in milliseconds. */
  settleMs: number
}

/** Records requests as they are sent and how each one ends. */
export class RequestLog {
  readonly #startedAt = process.hrtime.bigint()
  readonly #pending = new Set<Promise<void>>()
  #requests = 0
  #succeeded = 0
  #lastSettledMs = 0
  readonly #reasons = new Map<string, number>()

  track(request: Promise<void>): Promise<void> {
    this.#requests++
    const tracked = request.then(
      () => {
        this.#succeeded++
      },
      (error: unknown) => {
        const reason = describeFailure(error)
        this.#reasons.set(reason, (this.#reasons.get(reason) ?? 0) + 1)
      },
    )
    const settled = tracked.finally(() => {
      this.#pending.delete(settled)
      this.#lastSettledMs = elapsedMs(this.#startedAt)
    })
    this.#pending.add(settled)
    return settled
  }

  /** Waits until every tracked request settled or `deadlineMs` passed; what is still pending counts as hung. */
  async settle(deadlineMs: number): Promise<RequestOutcome> {
    let timer: NodeJS.Timeout | undefined
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, deadlineMs)
    })
    await Promise.race([Promise.all(this.#pending), deadline])
    clearTimeout(timer)
    const hung = this.#pending.size
    const reasons = new Map(this.#reasons)
    if (hung > 0) reasons.set('still pending at the deadline', hung)
    return {
      requests: this.#requests,
      succeeded: this.#succeeded,
      failed: this.#requests - this.#succeeded,
      hung,
      reasons,
      settleMs: hung > 0 ? deadlineMs : this.#lastSettledMs,
    }
  }
}

/** A short description of why a request failed, without any token. */
export function describeFailure(error: unknown): string {
  if (error instanceof HttpStatusError) return `HTTP ${error.status}`
  if (typeof error !== 'object' || error === null) return `a thrown ${typeof error}`
  const { name, message, response, code } = error as {
    name?: unknown
    message?: unknown
    response?: { status?: unknown }
    code?: unknown
  }
  if (typeof response?.status === 'number') return `HTTP ${response.status}`
  const label = typeof name === 'string' ? name : 'Error'
  if (/^(SessionExpired|RefreshFailed|RefreshTimeout|TokenRefresh)Error$/.test(label)) return label
  const detail = typeof code === 'string' ? code : typeof message === 'string' ? message : ''
  const short = detail.length > 70 ? `${detail.slice(0, 67)}...` : detail
  return short === '' ? label : `${label}: ${short}`
}

/** `12× HTTP 401, 3× SessionExpiredError`, most frequent first. */
export function formatReasons(reasons: Map<string, number>): string {
  if (reasons.size === 0) return ''
  return [...reasons]
    .sort((a, b) => b[1] - a[1])
    .map(([reason, count]) => `${count}× ${reason}`)
    .join(', ')
}
