import { describe, expect, it } from 'vitest'
import { createTokenRefresher, type TokenRefreshEvent } from '../src/index.js'
import { controlledRefresh, flushPromises } from './support.js'

describe('behaviour 2: stale 401', () => {
  describe('when a 401 arrives for a token that was already replaced', () => {
    it('resolves the current token without refreshing', async () => {
      const { refresh, calls } = controlledRefresh()
      const events: TokenRefreshEvent[] = []
      const refresher = createTokenRefresher({
        refresh,
        initialTokens: { accessToken: 'new' },
        onEvent: (event) => events.push(event),
      })

      expect(await refresher.refreshAfterUnauthorized('old')).toBe('new')
      expect(calls).toHaveLength(0)
      expect(events).toEqual([{ type: 'stale-unauthorized' }])
    })
  })

  describe('when a 401 arrives for the current token', () => {
    it('refreshes and resolves the new token', async () => {
      const { refresh, calls } = controlledRefresh()
      const refresher = createTokenRefresher({
        refresh,
        initialTokens: { accessToken: 'a', refreshToken: 'r1' },
      })

      const replay = refresher.refreshAfterUnauthorized('a')
      await flushPromises()
      expect(calls).toHaveLength(1)
      calls[0]?.resolve({ accessToken: 'b', refreshToken: 'r2' })

      expect(await replay).toBe('b')
    })
  })

  describe('when 401s for the old token arrive before, during and after the refresh', () => {
    it('refreshes exactly once for that expiry', async () => {
      const { refresh, calls } = controlledRefresh()
      const refresher = createTokenRefresher({
        refresh,
        initialTokens: { accessToken: 'a', refreshToken: 'r1' },
      })

      const early = Array.from({ length: 5 }, () => refresher.refreshAfterUnauthorized('a'))
      await flushPromises()
      const during = Array.from({ length: 5 }, () => refresher.refreshAfterUnauthorized('a'))
      calls[0]?.resolve({ accessToken: 'b', refreshToken: 'r2' })
      const settled = await Promise.all([...early, ...during])
      const late = await Promise.all(
        Array.from({ length: 5 }, () => refresher.refreshAfterUnauthorized('a')),
      )

      expect(calls).toHaveLength(1)
      expect([...settled, ...late]).toEqual(Array(15).fill('b'))
    })
  })

  describe('when the new token is rejected as well', () => {
    it('refreshes again, since that 401 is not stale', async () => {
      const { refresh, calls } = controlledRefresh()
      const refresher = createTokenRefresher({ refresh, initialTokens: { accessToken: 'a' } })

      const first = refresher.refreshAfterUnauthorized('a')
      await flushPromises()
      calls[0]?.resolve({ accessToken: 'b' })
      await first
      const second = refresher.refreshAfterUnauthorized('b')
      await flushPromises()
      calls[1]?.resolve({ accessToken: 'c' })

      expect(await second).toBe('c')
      expect(calls).toHaveLength(2)
    })
  })

  describe('when the refresher holds no tokens', () => {
    it('refreshes with no tokens, whatever token the 401 was for', async () => {
      const { refresh, calls } = controlledRefresh()
      const refresher = createTokenRefresher({ refresh })

      const replay = refresher.refreshAfterUnauthorized('from-elsewhere')
      await flushPromises()
      expect(calls[0]?.tokens).toBeUndefined()
      calls[0]?.resolve({ accessToken: 'minted' })

      expect(await replay).toBe('minted')
    })
  })
})
