import { describe, expect, it } from 'vitest'
import { createTokenRefresher, type TokenRefresherOptions } from '../src/index.js'
import { controlledRefresh, flushPromises, hour, manualClock } from './support.js'

/** A refresher holding an hour-long token, with the background window off unless asked for. */
function setup(options: Partial<TokenRefresherOptions> = {}) {
  const clock = manualClock()
  const { refresh, calls } = controlledRefresh()
  const refresher = createTokenRefresher({
    refresh,
    now: clock.now,
    backgroundRefreshBeforeExpiryMs: 0,
    initialTokens: { accessToken: 'a', expiresAt: clock.now() + hour },
    ...options,
  })
  return { clock, calls, refresher }
}

describe('behaviour 3: proactive refresh', () => {
  describe('when an hour-long token is within 60 s of its expiry', () => {
    it('treats it as expired: callers wait for the refresh', async () => {
      const { clock, calls, refresher } = setup()
      clock.advance(hour - 59_000)

      let resolved: string | undefined
      const token = refresher.getAccessToken().then((value) => {
        resolved = value
        return value
      })
      await flushPromises()
      expect(calls).toHaveLength(1)
      expect(resolved).toBeUndefined()

      calls[0]?.resolve({ accessToken: 'b', expiresAt: clock.now() + hour })
      expect(await token).toBe('b')
    })
  })

  describe('when an hour-long token is 61 s from its expiry', () => {
    it('serves it without a refresh', async () => {
      const { clock, calls, refresher } = setup()
      clock.advance(hour - 61_000)

      expect(await refresher.getAccessToken()).toBe('a')
      expect(calls).toHaveLength(0)
    })
  })

  describe('with refreshBeforeExpiryMs set to 5 minutes', () => {
    it('waits for a refresh from 5 minutes before expiry', async () => {
      const { clock, calls, refresher } = setup({ refreshBeforeExpiryMs: 300_000 })

      clock.advance(hour - 301_000)
      expect(await refresher.getAccessToken()).toBe('a')
      clock.advance(2_000)
      const token = refresher.getAccessToken()
      await flushPromises()
      expect(calls).toHaveLength(1)
      calls[0]?.resolve({ accessToken: 'b', expiresAt: clock.now() + hour })
      expect(await token).toBe('b')
    })
  })

  describe('with refreshBeforeExpiryMs set to 0', () => {
    it('serves a token until the instant it expires', async () => {
      const { clock, calls, refresher } = setup({ refreshBeforeExpiryMs: 0 })

      clock.advance(hour - 1)
      expect(await refresher.getAccessToken()).toBe('a')
      clock.advance(1)
      const token = refresher.getAccessToken()
      await flushPromises()
      expect(calls).toHaveLength(1)
      calls[0]?.resolve({ accessToken: 'b' })
      expect(await token).toBe('b')
    })
  })

  describe('when the token carries no expiresAt', () => {
    it('serves it however much time passes', async () => {
      const { clock, calls, refresher } = setup({ initialTokens: { accessToken: 'a' } })
      clock.advance(365 * 24 * hour)

      expect(await refresher.getAccessToken()).toBe('a')
      expect(calls).toHaveLength(0)
    })
  })
})
