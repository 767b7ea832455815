import { describe, expect, it, vi } from 'vitest'
import {
  createTokenRefresher,
  SessionExpiredError,
  type TokenRefreshEvent,
  type TokenSet,
  type TokenStore,
} from '../src/index.js'
import { deferred, flushPromises, rotatingEndpoint, sharedSession } from './support.js'

describe('behaviour 19: shared session', () => {
  function twoRefreshers() {
    const session = sharedSession({ accessToken: 'a0', refreshToken: 'r0' })
    const endpoint = rotatingEndpoint()
    const expired = { first: vi.fn(), second: vi.fn() }
    const events: TokenRefreshEvent[] = []
    const first = createTokenRefresher({
      refresh: endpoint.refresh,
      store: session.storeFor('first'),
      onSessionExpired: expired.first,
    })
    const second = createTokenRefresher({
      refresh: endpoint.refresh,
      store: session.storeFor('second'),
      onSessionExpired: expired.second,
      onEvent: (event) => events.push(event),
    })
    return { session, endpoint, expired, events, first, second }
  }

  describe('when a peer rotates the tokens', () => {
    it('adopts them without a token call', async () => {
      const { endpoint, events, first, second } = twoRefreshers()
      await Promise.all([first.getAccessToken(), second.getAccessToken()])

      await first.refreshAfterUnauthorized('a0')

      expect(second.getTokens()).toMatchObject({ accessToken: 'a1', refreshToken: 'r1' })
      expect(await second.getAccessToken()).toBe('a1')
      expect(endpoint.calls).toBe(1)
      expect(events).toContainEqual({ type: 'tokens-adopted' })
    })
  })

  describe('when a peer signs out', () => {
    it('ends the session here too, firing onSessionExpired once', async () => {
      const { expired, first, second } = twoRefreshers()
      await Promise.all([first.getAccessToken(), second.getAccessToken()])

      await first.clear()

      expect(second.getTokens()).toBeUndefined()
      await expect(second.getAccessToken()).rejects.toBeInstanceOf(SessionExpiredError)
      expect(expired.second).toHaveBeenCalledOnce()
      // The one that signed out did so itself: no callback there.
      expect(expired.first).not.toHaveBeenCalled()
    })
  })

  describe("when a peer's session expires", () => {
    it('fires onSessionExpired once in each refresher', async () => {
      const session = sharedSession({ accessToken: 'a0', refreshToken: 'r0' })
      const callbacks = [vi.fn(), vi.fn(), vi.fn()]
      const refreshers = callbacks.map((onSessionExpired, index) =>
        createTokenRefresher({
          store: session.storeFor(`p${index}`),
          onSessionExpired,
          refresh: async () => {
            throw { error: 'invalid_grant' }
          },
        }),
      )
      await Promise.all(refreshers.map((refresher) => refresher.getAccessToken()))

      const outcomes = await Promise.allSettled(
        refreshers.map((refresher) => refresher.refreshAfterUnauthorized('a0')),
      )

      expect(outcomes.every((outcome) => outcome.status === 'rejected')).toBe(true)
      for (const callback of callbacks) expect(callback).toHaveBeenCalledOnce()
    })
  })

  describe('when a peer signs in after the session expired', () => {
    it('takes the new session and serves it', async () => {
      const { first, second } = twoRefreshers()
      await Promise.all([first.getAccessToken(), second.getAccessToken()])
      await first.clear()
      await expect(second.getAccessToken()).rejects.toBeInstanceOf(SessionExpiredError)

      await first.setTokens({ accessToken: 'signed-in', refreshToken: 'fresh' })

      expect(await second.getAccessToken()).toBe('signed-in')
    })
  })

  describe('when the store announces something that is not a token set', () => {
    it('ignores it and reports the store, naming the field', async () => {
      const listeners: Array<(tokens: TokenSet | undefined) => void> = []
      const events: TokenRefreshEvent[] = []
      const refresher = createTokenRefresher({
        refresh: async () => ({ accessToken: 'minted' }),
        onEvent: (event) => events.push(event),
        store: {
          get: () => ({ accessToken: 'a0' }),
          set: () => {},
          clear: () => {},
          subscribe: (listener) => {
            listeners.push(listener)
            return () => {}
          },
        },
      })
      await refresher.getAccessToken()

      listeners[0]?.({ accessToken: '' })

      expect(refresher.getTokens()?.accessToken).toBe('a0')
      const failure = events.find((event) => event.type === 'store-failed')
      expect(String((failure as { error: Error }).error.message)).toContain('`accessToken`')
    })
  })

  describe('when a peer announces new tokens while the store is first read', () => {
    it('applies them once the read, which started earlier, is done', async () => {
      const read = deferred<TokenSet>()
      const listeners: Array<(tokens: TokenSet | undefined) => void> = []
      const store: TokenStore = {
        get: () => read.promise,
        set: () => {},
        clear: () => {},
        subscribe: (listener) => {
          listeners.push(listener)
          return () => {}
        },
      }
      const refresher = createTokenRefresher({ refresh: async () => ({ accessToken: 'x' }), store })

      const token = refresher.getAccessToken()
      await flushPromises()
      listeners[0]?.({ accessToken: 'newer' })
      read.resolve({ accessToken: 'older' })

      expect(await token).toBe('newer')
    })
  })

  describe('when the store tells this refresher of its own write', () => {
    it('changes nothing', async () => {
      const listeners: Array<(tokens: TokenSet | undefined) => void> = []
      const events: TokenRefreshEvent[] = []
      const refresher = createTokenRefresher({
        refresh: async () => ({ accessToken: 'x' }),
        onEvent: (event) => events.push(event),
        store: {
          get: () => undefined,
          set: (tokens) => {
            for (const listener of listeners) listener(tokens)
          },
          clear: () => {},
          subscribe: (listener) => {
            listeners.push(listener)
            return () => {}
          },
        },
      })
      await refresher.setTokens({ accessToken: 'mine', refreshToken: 'r' })
      expect(events.filter((event) => event.type === 'tokens-adopted')).toHaveLength(0)
      expect(refresher.getTokens()?.accessToken).toBe('mine')
    })
  })
})
