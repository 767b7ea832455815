import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  createTokenRefresher,
  RefreshFailedError,
  RefreshTimeoutError,
  SessionExpiredError,
  type TokenRefreshEvent,
  type TokenStore,
} from '../src/index.js'
import {
  controlledRefresh,
  deferred,
  flushPromises,
  rotatingEndpoint,
  sharedSession,
} from './support.js'

describe('behaviour 17: shared refresh', () => {
  describe('when six refreshers on one store meet a 401 for the same token', () => {
    it('calls the token endpoint once; the others adopt what the first one wrote', async () => {
      const session = sharedSession({ accessToken: 'a0', refreshToken: 'r0' })
      const endpoint = rotatingEndpoint()
      const refreshers = Array.from({ length: 6 }, (_, index) =>
        createTokenRefresher({ refresh: endpoint.refresh, store: session.storeFor(`p${index}`) }),
      )
      await Promise.all(refreshers.map((refresher) => refresher.getAccessToken()))

      const tokens = await Promise.all(
        refreshers.map((refresher) => refresher.refreshAfterUnauthorized('a0')),
      )

      expect(tokens).toEqual(Array(6).fill('a1'))
      expect(endpoint.calls).toBe(1)
      expect(endpoint.reused).toBe(0)
      expect(refreshers.map((refresher) => refresher.getTokens()?.refreshToken)).toEqual(
        Array(6).fill('r1'),
      )
    })

    it('goes through ten expiries with one refresh each and no refresh token used twice', async () => {
      const session = sharedSession({ accessToken: 'a0', refreshToken: 'r0' })
      const endpoint = rotatingEndpoint()
      const refreshers = Array.from({ length: 6 }, (_, index) =>
        createTokenRefresher({ refresh: endpoint.refresh, store: session.storeFor(`p${index}`) }),
      )
      for (let expiry = 0; expiry < 10; expiry++) {
        const current = `a${expiry}`
        const burst = refreshers.flatMap((refresher) =>
          Array.from({ length: 5 }, () => refresher.refreshAfterUnauthorized(current)),
        )
        expect(new Set(await Promise.all(burst))).toEqual(new Set([`a${expiry + 1}`]))
      }
      expect(endpoint.calls).toBe(10)
      expect(endpoint.reused).toBe(0)
      expect(session.read()?.refreshToken).toBe('r10')
    })
  })

  describe('when a peer refreshes while this refresher waits for the lock', () => {
    it('stops waiting as soon as the peer announces its tokens, and never takes the lock', async () => {
      const session = sharedSession({ accessToken: 'a0', refreshToken: 'r0' })
      const { refresh, calls } = controlledRefresh()
      const events: TokenRefreshEvent[] = []
      const first = createTokenRefresher({ refresh, store: session.storeFor('first') })
      const second = createTokenRefresher({
        refresh,
        store: session.storeFor('second'),
        onEvent: (event) => events.push(event),
      })
      await Promise.all([first.getAccessToken(), second.getAccessToken()])

      const firstReplay = first.refreshAfterUnauthorized('a0')
      await flushPromises()
      const secondReplay = second.refreshAfterUnauthorized('a0')
      await flushPromises()
      calls[0]?.resolve({ accessToken: 'a1', refreshToken: 'r1' })

      expect(await secondReplay).toBe('a1')
      expect(await firstReplay).toBe('a1')
      expect(calls).toHaveLength(1)
      expect(session.log.filter((line) => line.startsWith('second'))).toEqual([])
      // Its refresh still ends with an event of its own.
      expect(events.at(-1)).toMatchObject({ type: 'refresh-succeeded', superseded: true })
    })
  })

  describe('when the tokens a peer left in the store are due themselves', () => {
    it('refreshes them instead of taking them', async () => {
      let now = 1_000_000
      const session = sharedSession({ accessToken: 'a0', refreshToken: 'r0' })
      const endpoint = rotatingEndpoint()
      const refresher = createTokenRefresher({
        refresh: endpoint.refresh,
        store: session.storeFor('p'),
        now: () => now,
      })
      await refresher.getAccessToken()
      // A peer refreshed long ago and its tokens have expired since, without this refresher hearing of it.
      session.writeBehindTheBack({ accessToken: 'peer', refreshToken: 'r0', expiresAt: now - 1 })
      now += 1

      expect(await refresher.refreshAfterUnauthorized('a0')).toBe('a1')
      expect(endpoint.calls).toBe(1)
    })
  })

  describe('when the store holds the same session as memory', () => {
    it('calls the refresh function with the stored tokens, and writes the result before it unlocks', async () => {
      const session = sharedSession({ accessToken: 'a0', refreshToken: 'r0', scope: 'stored' })
      const { refresh, calls } = controlledRefresh()
      const refresher = createTokenRefresher({ refresh, store: session.storeFor('p') })
      await refresher.getAccessToken()

      const replay = refresher.refreshAfterUnauthorized('a0')
      await flushPromises()
      expect(calls[0]?.tokens).toEqual({ accessToken: 'a0', refreshToken: 'r0', scope: 'stored' })
      calls[0]?.resolve({ accessToken: 'a1' })
      expect(await replay).toBe('a1')
      expect(session.log).toEqual(['p locked', 'p set a1', 'p unlocked'])
      // The response had no refresh token: the stored one is kept.
      expect(session.read()).toMatchObject({ accessToken: 'a1', refreshToken: 'r0' })
    })
  })

  describe('when a peer rotated the tokens without telling', () => {
    it('adopts the stored tokens under the lock instead of calling the token endpoint', async () => {
      const session = sharedSession({ accessToken: 'a0', refreshToken: 'r0' })
      const endpoint = rotatingEndpoint()
      const events: TokenRefreshEvent[] = []
      const refresher = createTokenRefresher({
        refresh: endpoint.refresh,
        store: session.storeFor('p'),
        onEvent: (event) => events.push(event),
      })
      await refresher.getAccessToken()
      session.writeBehindTheBack({ accessToken: 'peer', refreshToken: 'peer-r' })

      expect(await refresher.refreshAfterUnauthorized('a0')).toBe('peer')
      expect(endpoint.calls).toBe(0)
      expect(events.at(-1)).toMatchObject({ type: 'refresh-succeeded', adopted: true })
    })
  })

  describe('when the token endpoint answers invalid_grant', () => {
    it('adopts what a peer wrote meanwhile instead of ending the session', async () => {
      const session = sharedSession({ accessToken: 'a0', refreshToken: 'r0' })
      const onSessionExpired = vi.fn()
      const refresher = createTokenRefresher({
        store: session.storeFor('p'),
        onSessionExpired,
        refresh: async () => {
          // A peer that did not take the lock rotated the refresh token first.
          session.writeBehindTheBack({ accessToken: 'peer', refreshToken: 'peer-r' })
          throw { error: 'invalid_grant' }
        },
      })
      await refresher.getAccessToken()

      expect(await refresher.refreshAfterUnauthorized('a0')).toBe('peer')
      expect(onSessionExpired).not.toHaveBeenCalled()
    })

    it('ends the session, clearing the store while it still holds the lock', async () => {
      const session = sharedSession({ accessToken: 'a0', refreshToken: 'r0' })
      const onSessionExpired = vi.fn()
      const refresher = createTokenRefresher({
        store: session.storeFor('p'),
        onSessionExpired,
        refresh: async () => {
          throw { error: 'invalid_grant' }
        },
      })
      await refresher.getAccessToken()

      await expect(refresher.refreshAfterUnauthorized('a0')).rejects.toBeInstanceOf(
        SessionExpiredError,
      )
      expect(session.log).toEqual(['p locked', 'p clear', 'p unlocked'])
      expect(onSessionExpired).toHaveBeenCalledOnce()
    })
  })

  describe('when a peer ended the session while this refresher waited for the lock', () => {
    it('ends it here too, without calling the token endpoint', async () => {
      const session = sharedSession({ accessToken: 'a0', refreshToken: 'r0' })
      const endpoint = rotatingEndpoint()
      const refresher = createTokenRefresher({
        refresh: endpoint.refresh,
        store: session.storeFor('p'),
      })
      await refresher.getAccessToken()
      session.writeBehindTheBack(undefined)

      await expect(refresher.refreshAfterUnauthorized('a0')).rejects.toThrow(
        'Another refresher sharing the store ended the session',
      )
      expect(endpoint.calls).toBe(0)
    })
  })

  describe('with a lock held by a peer that never lets go', () => {
    beforeEach(() => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    })
    afterEach(() => {
      vi.useRealTimers()
    })

    it('counts the wait toward refreshTimeoutMs, and never refreshes once the caller gave up', async () => {
      const granted = deferred<void>()
      const { refresh, calls } = controlledRefresh()
      const store: TokenStore = {
        get: () => ({ accessToken: 'a0', refreshToken: 'r0' }),
        set: () => {},
        clear: () => {},
        // Ignores its signal, as a broken store might, and grants much later.
        lock: async (critical) => {
          await granted.promise
          return critical()
        },
      }
      const refresher = createTokenRefresher({ refresh, store, refreshTimeoutMs: 100 })
      await refresher.getAccessToken()

      const replay = refresher.refreshAfterUnauthorized('a0').catch((error: unknown) => error)
      await vi.advanceTimersByTimeAsync(100)
      expect(await replay).toBeInstanceOf(RefreshTimeoutError)

      granted.resolve()
      await flushPromises()
      expect(calls).toHaveLength(0)
      expect(refresher.getTokens()?.refreshToken).toBe('r0')
    })
  })

  describe('with a store whose lock throws', () => {
    it('fails the refresh as transient, keeps the tokens and reports the store', async () => {
      const events: TokenRefreshEvent[] = []
      const lockError = new Error('ECONNREFUSED')
      const refresher = createTokenRefresher({
        refresh: async () => ({ accessToken: 'never' }),
        onEvent: (event) => events.push(event),
        store: {
          get: () => ({ accessToken: 'a0', refreshToken: 'r0' }),
          set: () => {},
          clear: () => {},
          lock: () => {
            throw lockError
          },
        },
      })
      await refresher.getAccessToken()

      const error = await refresher
        .refreshAfterUnauthorized('a0')
        .catch((caught: unknown) => caught)
      expect(error).toBeInstanceOf(RefreshFailedError)
      expect((error as Error).message).toBe('The token store could not take its lock')
      expect((error as Error).cause).toBe(lockError)
      expect(refresher.getTokens()?.refreshToken).toBe('r0')
      expect(events).toContainEqual({ type: 'store-failed', operation: 'lock', error: lockError })
    })
  })

  describe('when the store refuses the write of a holder that lost its lock', () => {
    it('keeps the new tokens in memory and reports the refused write', async () => {
      const events: TokenRefreshEvent[] = []
      const refused = Object.assign(new Error('The lock was lost'), { code: 'LOCK_LOST' })
      const refresher = createTokenRefresher({
        refresh: async () => ({ accessToken: 'a1', refreshToken: 'r1' }),
        onEvent: (event) => events.push(event),
        store: {
          get: () => ({ accessToken: 'a0', refreshToken: 'r0' }),
          set: () => Promise.reject(refused),
          clear: () => {},
          lock: (critical) => critical(),
        },
      })
      await refresher.getAccessToken()

      expect(await refresher.refreshAfterUnauthorized('a0')).toBe('a1')
      expect(events).toContainEqual({ type: 'store-failed', operation: 'set', error: refused })
    })
  })
})
