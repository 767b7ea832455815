import { describe, expect, it } from 'vitest'
import {
  createTokenRefresher,
  RefreshFailedError,
  type TokenRefreshEvent,
  type TokenRefresherOptions,
} from '../src/index.js'
import { controlledRefresh, flushPromises, manualClock } from './support.js'

function setup(options: Partial<TokenRefresherOptions> = {}) {
  const clock = manualClock()
  const { refresh, calls } = controlledRefresh()
  const events: TokenRefreshEvent[] = []
  const refresher = createTokenRefresher({
    refresh,
    now: clock.now,
    onEvent: (event) => events.push(event),
    initialTokens: { accessToken: 'a0', refreshToken: 'r0', expiresAt: clock.now() },
    ...options,
  })
  const failures = () =>
    events.filter(
      (event): event is Extract<TokenRefreshEvent, { type: 'refresh-failed' }> =>
        event.type === 'refresh-failed',
    )
  // Lets the next call reach the token endpoint and fails it with `error`.
  async function failNext(error: unknown): Promise<unknown> {
    const caller = refresher.getAccessToken().catch((caught: unknown) => caught)
    await flushPromises()
    calls.at(-1)?.reject(error)
    return caller
  }
  return { clock, calls, events, refresher, failures, failNext }
}

const unavailable = () => Object.assign(new Error('Service Unavailable'), { status: 503 })

describe('behaviour 22: failing endpoint', () => {
  describe('after a transient failure', () => {
    it('fails the next five callers fast with the same error and calls the token endpoint no more', async () => {
      const { calls, refresher, failNext } = setup()
      const error = await failNext(unavailable())
      expect(error).toBeInstanceOf(RefreshFailedError)

      const followUps = await Promise.all(
        Array.from({ length: 5 }, () =>
          refresher.getAccessToken().catch((caught: unknown) => caught),
        ),
      )
      expect(followUps).toEqual(Array(5).fill(error))
      expect(calls).toHaveLength(1)
    })

    it('lets one call through once the back-off has passed, whatever the number of callers', async () => {
      const { clock, calls, refresher, failNext } = setup()
      await failNext(unavailable())
      clock.advance(1_000)

      const callers = Array.from({ length: 5 }, () => refresher.getAccessToken())
      await flushPromises()
      expect(calls).toHaveLength(2)
      calls[1]?.resolve({ accessToken: 'a1', expiresAt: clock.now() + 3_600_000 })
      expect(await Promise.all(callers)).toEqual(Array(5).fill('a1'))
    })

    it('reports until when it backs off', async () => {
      const { clock, failures, failNext } = setup()
      await failNext(unavailable())
      const retryAt = failures()[0]?.retryAt ?? 0
      expect(retryAt - clock.now()).toBeGreaterThanOrEqual(500)
      expect(retryAt - clock.now()).toBeLessThanOrEqual(1_000)
    })
  })

  describe('when the token endpoint keeps failing', () => {
    it('doubles the back-off after each failure, with jitter, up to the cap', async () => {
      const { clock, failures, failNext } = setup({ maxRefreshBackoffMs: 8_000 })
      const waits: number[] = []
      for (let attempt = 0; attempt < 6; attempt++) {
        await failNext(unavailable())
        const retryAt = failures().at(-1)?.retryAt ?? 0
        waits.push(retryAt - clock.now())
        clock.advance(retryAt - clock.now())
      }
      const bounds = [1_000, 2_000, 4_000, 8_000, 8_000, 8_000]
      waits.forEach((wait, index) => {
        expect(wait).toBeGreaterThanOrEqual((bounds[index] as number) / 2)
        expect(wait).toBeLessThanOrEqual(bounds[index] as number)
      })
    })

    it('calls it at most once per back-off period', async () => {
      const { clock, calls, refresher, failures, failNext } = setup()
      await failNext(unavailable())
      // Callers every 100 ms for a minute, each failure failing the call that reached the endpoint.
      for (let elapsed = 0; elapsed < 60_000; elapsed += 100) {
        clock.advance(100)
        const caller = refresher.getAccessToken().catch(() => {})
        await flushPromises()
        const pending = calls.at(-1)
        if (calls.length > failures().length) pending?.reject(unavailable())
        await caller
      }
      // 1 + 2 + 4 + 8 + 16 + 32 s of back-off at the most: never more than 7 calls, at least 6, in a minute.
      expect(calls.length).toBeLessThanOrEqual(11)
      expect(calls.length).toBeGreaterThanOrEqual(6)
    })
  })

  describe('when the server says how long to wait', () => {
    it('honours Retry-After in seconds', async () => {
      const { clock, failures, failNext } = setup()
      await failNext(
        Object.assign(unavailable(), { headers: new Headers({ 'retry-after': '30' }) }),
      )
      expect((failures()[0]?.retryAt ?? 0) - clock.now()).toBe(30_000)
    })

    it('honours Retry-After as an HTTP date, read from the response of an HTTP client error', async () => {
      const { clock, failures, failNext } = setup()
      const at = new Date(clock.now() + 20_000).toUTCString()
      await failNext(
        Object.assign(new Error('Request failed with status code 429'), {
          response: { status: 429, headers: { 'retry-after': at } },
        }),
      )
      expect((failures()[0]?.retryAt ?? 0) - clock.now()).toBe(20_000)
    })

    it('honours retryAfterMs on a cause', async () => {
      const { clock, failures, failNext } = setup()
      await failNext(new Error('Rate limited', { cause: { retryAfterMs: 15_000 } }))
      expect((failures()[0]?.retryAt ?? 0) - clock.now()).toBe(15_000)
    })

    it('caps a Retry-After longer than maxRefreshBackoffMs', async () => {
      const { clock, failures, failNext } = setup()
      await failNext(Object.assign(unavailable(), { headers: { 'Retry-After': '86400' } }))
      expect((failures()[0]?.retryAt ?? 0) - clock.now()).toBe(60_000)
    })
  })

  describe('after a success', () => {
    it('starts the next back-off from the beginning again', async () => {
      const { clock, calls, refresher, failures, failNext } = setup()
      for (let attempt = 0; attempt < 3; attempt++) {
        await failNext(unavailable())
        clock.advance(60_000)
      }
      const success = refresher.getAccessToken()
      await flushPromises()
      calls.at(-1)?.resolve({ accessToken: 'a1', expiresAt: clock.now() })
      await success

      await failNext(unavailable())
      expect((failures().at(-1)?.retryAt ?? 0) - clock.now()).toBeLessThanOrEqual(1_000)
    })
  })

  describe('with refreshBackoffMs set to 0', () => {
    it('tries again at the next call', async () => {
      const { calls, refresher, failNext } = setup({ refreshBackoffMs: 0 })
      await failNext(unavailable())
      const next = refresher.getAccessToken()
      await flushPromises()
      expect(calls).toHaveLength(2)
      calls[1]?.resolve({ accessToken: 'a1' })
      expect(await next).toBe('a1')
    })
  })

  describe('when a background refresh fails', () => {
    it('keeps serving the current token and starts no background refresh within the back-off', async () => {
      const clock = manualClock()
      const { refresh, calls } = controlledRefresh()
      const refresher = createTokenRefresher({
        refresh,
        now: clock.now,
        backgroundRetryIntervalMs: 0,
        initialTokens: { accessToken: 'a0', expiresAt: clock.now() + 120_000 },
      })
      clock.advance(61_000)
      expect(await refresher.getAccessToken()).toBe('a0')
      calls[0]?.reject(unavailable())
      await flushPromises()

      clock.advance(100)
      expect(await refresher.getAccessToken()).toBe('a0')
      expect(calls).toHaveLength(1)
      clock.advance(1_000)
      expect(await refresher.getAccessToken()).toBe('a0')
      expect(calls).toHaveLength(2)
    })
  })
})
