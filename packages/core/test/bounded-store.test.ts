import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  createTokenRefresher,
  RefreshTimeoutError,
  type TokenRefreshEvent,
  type TokenSet,
  type TokenStore,
} from '../src/index.js'
import { controlledRefresh, flushPromises } from './support.js'

const never = () => new Promise<never>(() => {})

function hungStore(hang: { get?: boolean; set?: boolean; clear?: boolean }, stored?: TokenSet) {
  let current = stored
  const store: TokenStore = {
    get: () => (hang.get ? never() : current),
    set: (tokens) => {
      if (hang.set) return never()
      current = tokens
    },
    clear: () => {
      if (hang.clear) return never()
      current = undefined
    },
  }
  return store
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
})
afterEach(() => {
  vi.useRealTimers()
})

describe('behaviour 20: bounded store', () => {
  describe('when the store never answers `set` while an expired token is refreshed', () => {
    it('settles the caller by its refresh deadline, with the new token, and reports the store', async () => {
      const { refresh, calls } = controlledRefresh()
      const events: TokenRefreshEvent[] = []
      const refresher = createTokenRefresher({
        refresh,
        refreshTimeoutMs: 50,
        onEvent: (event) => events.push(event),
        store: hungStore({ set: true }, { accessToken: 'a0', refreshToken: 'r0', expiresAt: 0 }),
      })

      const token = refresher.getAccessToken()
      await flushPromises()
      calls[0]?.resolve({ accessToken: 'a1', refreshToken: 'r1' })
      await vi.advanceTimersByTimeAsync(50)

      // The new token is valid and its refresh token is the only one left: it is kept and served.
      await expect(token).resolves.toBe('a1')
      expect(refresher.getTokens()?.refreshToken).toBe('r1')
      expect(events).toContainEqual(
        expect.objectContaining({ type: 'store-failed', operation: 'set' }),
      )
    })

    it('does not hold later calls, setTokens or clear for good', async () => {
      const { refresh, calls } = controlledRefresh()
      const refresher = createTokenRefresher({
        refresh,
        refreshTimeoutMs: 50,
        onEvent: () => {},
        store: hungStore({ set: true, clear: true }, { accessToken: 'a0', expiresAt: 0 }),
      })

      const first = refresher.getAccessToken()
      await flushPromises()
      calls[0]?.resolve({ accessToken: 'a1' })
      await vi.advanceTimersByTimeAsync(50)
      await expect(first).resolves.toBe('a1')

      const setting = refresher.setTokens({ accessToken: 'a2' }).catch((error: unknown) => error)
      await vi.advanceTimersByTimeAsync(50)
      expect(await setting).toBeInstanceOf(RefreshTimeoutError)
      // In memory the tokens are set, as with any failing store.
      expect(await refresher.getAccessToken()).toBe('a2')

      const clearing = refresher.clear().catch((error: unknown) => error)
      await vi.advanceTimersByTimeAsync(50)
      expect(await clearing).toBeInstanceOf(RefreshTimeoutError)
      expect(refresher.getTokens()).toBeUndefined()
    })
  })

  describe('when the store never answers `get`', () => {
    it('rejects the first call with RefreshTimeoutError at the deadline, and reads again at the next call', async () => {
      let hang = true
      const refresher = createTokenRefresher({
        refresh: async () => ({ accessToken: 'minted' }),
        refreshTimeoutMs: 50,
        onEvent: () => {},
        store: {
          get: () => (hang ? never() : { accessToken: 'stored' }),
          set: () => {},
          clear: () => {},
        },
      })

      const first = refresher.getAccessToken().catch((error: unknown) => error)
      await vi.advanceTimersByTimeAsync(50)
      expect(await first).toBeInstanceOf(RefreshTimeoutError)
      expect(String(await first)).toContain('did not finish `get` within 50 ms')

      hang = false
      expect(await refresher.getAccessToken()).toBe('stored')
    })

    it('lets setTokens through at once', async () => {
      const refresher = createTokenRefresher({
        refresh: async () => ({ accessToken: 'minted' }),
        refreshTimeoutMs: 50,
        onEvent: () => {},
        store: hungStore({ get: true }),
      })

      const waiting = refresher.getAccessToken().catch((error: unknown) => error)
      await refresher.setTokens({ accessToken: 'signed-in' })
      expect(await refresher.getAccessToken()).toBe('signed-in')
      await vi.advanceTimersByTimeAsync(50)
      // The caller that waited for the read gets the tokens that were set, not the hung read.
      expect(await waiting).toBe('signed-in')
    })
  })

  describe('when a store write never settles and a later write follows', () => {
    it('lets the later write run once the first has outlived its bound', async () => {
      const writes: string[] = []
      let hangNext = true
      const refresher = createTokenRefresher({
        refresh: async () => ({ accessToken: 'minted' }),
        refreshTimeoutMs: 50,
        onEvent: () => {},
        store: {
          get: () => undefined,
          set: (tokens) => {
            writes.push(tokens.accessToken)
            if (hangNext) {
              hangNext = false
              return never()
            }
          },
          clear: () => {},
        },
      })

      const first = refresher.setTokens({ accessToken: 'one' }).catch(() => {})
      const second = refresher.setTokens({ accessToken: 'two' })
      await vi.advanceTimersByTimeAsync(50)
      await first
      await second
      expect(writes).toEqual(['one', 'two'])
    })
  })
})
