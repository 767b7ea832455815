import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createTokenRefresher, RefreshTimeoutError, type TokenRefreshEvent } from '../src/index.js'
import { controlledRefresh, flushPromises } from './support.js'

describe('behaviour 7: timeout', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  describe('when a refresh does not settle within the default 30 s', () => {
    it('aborts its signal and rejects every waiter with RefreshTimeoutError', async () => {
      const { refresh, calls } = controlledRefresh()
      const refresher = createTokenRefresher({
        refresh,
        initialTokens: { accessToken: 'a', refreshToken: 'r1' },
      })

      const waiters = Array.from({ length: 3 }, () =>
        refresher.refreshAfterUnauthorized('a').catch((error: unknown) => error),
      )
      await vi.advanceTimersByTimeAsync(29_999)
      expect(calls[0]?.signal.aborted).toBe(false)
      await vi.advanceTimersByTimeAsync(1)
      const errors = await Promise.all(waiters)

      expect(calls[0]?.signal.aborted).toBe(true)
      expect(errors[0]).toBeInstanceOf(RefreshTimeoutError)
      expect((errors[0] as RefreshTimeoutError).code).toBe('REFRESH_TIMEOUT')
      expect(calls[0]?.signal.reason).toBe(errors[0])
      expect(new Set(errors).size).toBe(1)
    })

    it('keeps the tokens as for any transient failure, and the next call after the back-off tries again', async () => {
      const { refresh, calls } = controlledRefresh()
      const refresher = createTokenRefresher({
        refresh,
        initialTokens: { accessToken: 'a', refreshToken: 'r1' },
      })

      const first = refresher.refreshAfterUnauthorized('a').catch((error: unknown) => error)
      await vi.advanceTimersByTimeAsync(30_000)
      expect(await first).toBeInstanceOf(RefreshTimeoutError)
      expect(refresher.getTokens()?.refreshToken).toBe('r1')
      // The refresh function honours its signal, as an HTTP call does.
      calls[0]?.reject(calls[0].signal.reason)
      await vi.advanceTimersByTimeAsync(1_000)

      const second = refresher.refreshAfterUnauthorized('a')
      await flushPromises()
      expect(calls).toHaveLength(2)
      calls[1]?.resolve({ accessToken: 'b' })
      expect(await second).toBe('b')
    })
  })

  describe('with refreshTimeoutMs set to 2 s', () => {
    it('times out after 2 s', async () => {
      const { refresh } = controlledRefresh()
      const refresher = createTokenRefresher({ refresh, refreshTimeoutMs: 2_000 })

      const waiter = refresher.getAccessToken().catch((error: unknown) => error)
      await vi.advanceTimersByTimeAsync(2_000)

      expect(await waiter).toBeInstanceOf(RefreshTimeoutError)
    })
  })

  describe('with refreshTimeoutMs set to Infinity', () => {
    it('starts no timer', async () => {
      const { refresh, calls } = controlledRefresh()
      const refresher = createTokenRefresher({
        refresh,
        refreshTimeoutMs: Number.POSITIVE_INFINITY,
      })

      const waiter = refresher.getAccessToken()
      await flushPromises()
      expect(vi.getTimerCount()).toBe(0)
      calls[0]?.resolve({ accessToken: 'a' })
      expect(await waiter).toBe('a')
    })
  })

  describe('when a refresh function that ignores its signal succeeds after the timeout', () => {
    it('keeps its tokens if nothing newer arrived, since the provider has consumed the old refresh token', async () => {
      const { refresh, calls } = controlledRefresh()
      const events: TokenRefreshEvent[] = []
      const refresher = createTokenRefresher({
        refresh,
        onEvent: (event) => events.push(event),
        initialTokens: { accessToken: 'a', refreshToken: 'r1' },
      })

      const waiter = refresher.refresh().catch((error: unknown) => error)
      await vi.advanceTimersByTimeAsync(30_000)
      expect(await waiter).toBeInstanceOf(RefreshTimeoutError)
      calls[0]?.resolve({ accessToken: 'b', refreshToken: 'r2' })
      await flushPromises()

      expect(refresher.getTokens()).toMatchObject({ accessToken: 'b', refreshToken: 'r2' })
      expect(events.at(-1)).toMatchObject({
        type: 'refresh-succeeded',
        late: true,
        superseded: false,
      })
    })

    it('discards them if tokens were set meanwhile', async () => {
      const { refresh, calls } = controlledRefresh()
      const refresher = createTokenRefresher({
        refresh,
        initialTokens: { accessToken: 'a', refreshToken: 'r1' },
      })

      const waiter = refresher.refresh().catch((error: unknown) => error)
      await vi.advanceTimersByTimeAsync(30_000)
      await waiter
      await refresher.setTokens({ accessToken: 'c', refreshToken: 'r3' })
      calls[0]?.resolve({ accessToken: 'b', refreshToken: 'r2' })
      await flushPromises()

      expect(refresher.getTokens()).toMatchObject({ accessToken: 'c', refreshToken: 'r3' })
    })

    it('makes the next refresh wait for that result instead of sending the same refresh token again', async () => {
      const { refresh, calls } = controlledRefresh()
      const refresher = createTokenRefresher({
        refresh,
        initialTokens: { accessToken: 'a', refreshToken: 'r1' },
      })

      const waiter = refresher.refresh().catch((error: unknown) => error)
      await vi.advanceTimersByTimeAsync(30_000)
      expect(await waiter).toBeInstanceOf(RefreshTimeoutError)
      await vi.advanceTimersByTimeAsync(1_000)
      const next = refresher.refreshAfterUnauthorized('a')
      await flushPromises()
      expect(calls).toHaveLength(1)

      calls[0]?.resolve({ accessToken: 'b', refreshToken: 'r2' })
      expect(await next).toBe('b')
      expect(calls).toHaveLength(1)
    })
  })
})
