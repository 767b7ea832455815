import { describe, expect, it } from 'vitest'
import { createTokenRefresher } from '../src/index.js'
import { controlledRefresh, flushPromises } from './support.js'

describe('behaviour 21: rejected token withheld', () => {
  describe('while a refresh started by a 401 for the current token runs', () => {
    it('makes getAccessToken wait for the new token instead of handing out the rejected one', async () => {
      const { refresh, calls } = controlledRefresh()
      // Expiry unknown: only a 401 tells that the token is no longer good, the case 401 handling exists for.
      const refresher = createTokenRefresher({ refresh, initialTokens: { accessToken: 'a0' } })

      const replay = refresher.refreshAfterUnauthorized('a0')
      const sentMeanwhile = refresher.getAccessToken()
      let served: string | undefined
      sentMeanwhile.then((token) => {
        served = token
      })
      await flushPromises()
      expect(served).toBeUndefined()

      calls[0]?.resolve({ accessToken: 'a1' })
      expect(await replay).toBe('a1')
      expect(await sentMeanwhile).toBe('a1')
      expect(calls).toHaveLength(1)
    })
  })

  describe('after the refresh that replaced it failed for a moment', () => {
    it('still does not hand out the rejected token, and refreshes at the next call after the back-off', async () => {
      const { refresh, calls } = controlledRefresh()
      let now = 0
      const refresher = createTokenRefresher({
        refresh,
        now: () => now,
        initialTokens: { accessToken: 'a0', refreshToken: 'r0' },
      })

      const replay = refresher.refreshAfterUnauthorized('a0').catch((error: unknown) => error)
      await flushPromises()
      calls[0]?.reject(new Error('Service Unavailable'))
      await replay
      // The tokens are kept (a transient failure never signs out), but the rejected one is not served.
      expect(refresher.getTokens()?.refreshToken).toBe('r0')
      await expect(refresher.getAccessToken()).rejects.toThrow('Refresh function threw Error')

      now += 60_000
      const next = refresher.getAccessToken()
      await flushPromises()
      calls[1]?.resolve({ accessToken: 'a1' })
      expect(await next).toBe('a1')
    })
  })

  describe('when a 401 comes back for a token that was already replaced', () => {
    it('withholds nothing: the current token is served at once', async () => {
      const { refresh, calls } = controlledRefresh()
      const refresher = createTokenRefresher({ refresh, initialTokens: { accessToken: 'a0' } })
      const first = refresher.refreshAfterUnauthorized('a0')
      calls[0]?.resolve({ accessToken: 'a1' })
      await first

      expect(await refresher.refreshAfterUnauthorized('a0')).toBe('a1')
      expect(await refresher.getAccessToken()).toBe('a1')
      expect(calls).toHaveLength(1)
    })
  })
})
