import { describe, expect, it } from 'vitest'
import { createTokenRefresher, type TokenRefreshEvent } from '../src/index.js'
import { controlledRefresh, flushPromises, hour, manualClock } from './support.js'

function setup(options: { lifetimeMs?: number; backgroundRetryIntervalMs?: number } = {}) {
  const clock = manualClock()
  const { refresh, calls } = controlledRefresh()
  const events: TokenRefreshEvent[] = []
  const refresher = createTokenRefresher({
    refresh,
    now: clock.now,
    onEvent: (event) => events.push(event),
    initialTokens: { accessToken: 'a', expiresAt: clock.now() + (options.lifetimeMs ?? hour) },
    // Windows are the subject here, not the back-off after a failure (behaviour 22).
    refreshBackoffMs: 0,
    ...(options.backgroundRetryIntervalMs === undefined
      ? {}
      : { backgroundRetryIntervalMs: options.backgroundRetryIntervalMs }),
  })
  return { clock, calls, events, refresher }
}

describe('behaviour 4: background window', () => {
  describe('when twenty calls arrive 4 minutes before expiry', () => {
    it('serves the current token to each at once and runs one background refresh', async () => {
      const { clock, calls, events, refresher } = setup()
      clock.advance(hour - 240_000)

      const tokens = await Promise.all(Array.from({ length: 20 }, () => refresher.getAccessToken()))

      expect(tokens).toEqual(Array(20).fill('a'))
      expect(calls).toHaveLength(1)
      expect(events[0]).toEqual({ type: 'refresh-started', reason: 'background' })
    })

    it('serves the new token once the background refresh is done', async () => {
      const { clock, calls, refresher } = setup()
      clock.advance(hour - 240_000)
      await refresher.getAccessToken()
      calls[0]?.resolve({ accessToken: 'b', expiresAt: clock.now() + hour })
      await flushPromises()

      expect(await refresher.getAccessToken()).toBe('b')
      expect(calls).toHaveLength(1)
    })
  })

  describe('when a background refresh fails', () => {
    it('does not fail callers, and retries no sooner than backgroundRetryIntervalMs', async () => {
      const { clock, calls, events, refresher } = setup({ backgroundRetryIntervalMs: 10_000 })
      clock.advance(hour - 240_000)
      expect(await refresher.getAccessToken()).toBe('a')
      calls[0]?.reject(new Error('token endpoint answered 503'))
      await flushPromises()
      expect(events.map((event) => event.type)).toEqual(['refresh-started', 'refresh-failed'])

      clock.advance(9_999)
      expect(await refresher.getAccessToken()).toBe('a')
      expect(calls).toHaveLength(1)

      clock.advance(1)
      expect(await refresher.getAccessToken()).toBe('a')
      expect(calls).toHaveLength(2)
    })
  })

  describe('when a caller needs a blocking refresh while a background one runs', () => {
    it('waits for the background refresh instead of starting another', async () => {
      const { clock, calls, refresher } = setup()
      clock.advance(hour - 240_000)
      await refresher.getAccessToken()
      clock.advance(200_000)

      const token = refresher.getAccessToken()
      await flushPromises()
      expect(calls).toHaveLength(1)
      calls[0]?.resolve({ accessToken: 'b', expiresAt: clock.now() + hour })
      expect(await token).toBe('b')
    })
  })

  describe('when a token lives only 100 ms', () => {
    it('serves it without refreshing for the first half of its lifetime', async () => {
      const { clock, calls, refresher } = setup({ lifetimeMs: 100 })

      for (let elapsed = 0; elapsed < 50; elapsed += 10) {
        expect(await refresher.getAccessToken()).toBe('a')
        clock.advance(10)
      }
      expect(calls).toHaveLength(0)
    })

    it('refreshes in the background from half its lifetime and blocks only in its last quarter', async () => {
      const { clock, calls, refresher } = setup({ lifetimeMs: 100 })
      clock.advance(50)
      expect(await refresher.getAccessToken()).toBe('a')
      expect(calls).toHaveLength(1)
      calls[0]?.reject(new Error('busy'))
      await flushPromises()

      clock.advance(24)
      expect(await refresher.getAccessToken()).toBe('a')
      clock.advance(1)
      let resolved = false
      const token = refresher.getAccessToken().then((value) => {
        resolved = true
        return value
      })
      await flushPromises()
      expect(resolved).toBe(false)
      calls.at(-1)?.resolve({ accessToken: 'b', expiresAt: clock.now() + 100 })
      expect(await token).toBe('b')
    })
  })

  describe('when a token read from the store expires in 2 minutes', () => {
    it('clamps the windows to what is left of it', async () => {
      const clock = manualClock()
      const { refresh, calls } = controlledRefresh()
      const refresher = createTokenRefresher({
        refresh,
        now: clock.now,
        store: {
          get: () => ({ accessToken: 'a', expiresAt: clock.now() + 120_000 }),
          set: () => {},
          clear: () => {},
        },
      })

      expect(await refresher.getAccessToken()).toBe('a')
      clock.advance(59_000)
      expect(await refresher.getAccessToken()).toBe('a')
      expect(calls).toHaveLength(0)
      clock.advance(1_000)
      expect(await refresher.getAccessToken()).toBe('a')
      expect(calls).toHaveLength(1)
    })
  })
})
