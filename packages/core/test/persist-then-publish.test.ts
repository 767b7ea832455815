import { describe, expect, it, vi } from 'vitest'
import {
  createTokenRefresher,
  RefreshFailedError,
  type TokenRefreshEvent,
  type TokenSet,
  type TokenStore,
} from '../src/index.js'
import { controlledRefresh, deferred, flushPromises } from './support.js'

function recordingStore(initial?: TokenSet) {
  const writes: Array<TokenSet | 'cleared'> = []
  let current = initial
  const store: TokenStore = {
    get: async () => current,
    set: async (tokens) => {
      writes.push(tokens)
      current = tokens
    },
    clear: async () => {
      writes.push('cleared')
      current = undefined
    },
  }
  return { store, writes, read: () => current }
}

describe('behaviour 5: persist, then publish', () => {
  describe('while the store is writing new tokens', () => {
    it('keeps every waiter waiting and publishes nothing until the write is done', async () => {
      const { refresh, calls } = controlledRefresh()
      const write = deferred<void>()
      const refresher = createTokenRefresher({
        refresh,
        store: {
          get: () => ({ accessToken: 'a', refreshToken: 'r1' }),
          set: () => write.promise,
          clear: () => {},
        },
      })

      let resolved = false
      const replay = refresher.refreshAfterUnauthorized('a').then((token) => {
        resolved = true
        return token
      })
      await flushPromises()
      calls[0]?.resolve({ accessToken: 'b', refreshToken: 'r2' })
      await flushPromises()
      expect(resolved).toBe(false)
      expect(refresher.getTokens()?.accessToken).toBe('a')

      write.resolve()
      expect(await replay).toBe('b')
      expect(refresher.getTokens()?.refreshToken).toBe('r2')
    })
  })

  describe('with single-use refresh tokens that rotate on every refresh', () => {
    it('persists each rotated refresh token before the next refresh uses it', async () => {
      const { store, writes, read } = recordingStore({ accessToken: 'a0', refreshToken: 'r0' })
      const usedRefreshTokens: Array<string | undefined> = []
      const persistedWhenUsed: Array<string | undefined> = []
      let issued = 0
      const refresher = createTokenRefresher({
        store,
        refresh: async ({ tokens }) => {
          usedRefreshTokens.push(tokens?.refreshToken)
          persistedWhenUsed.push(read()?.refreshToken)
          issued++
          return { accessToken: `a${issued}`, refreshToken: `r${issued}` }
        },
      })

      for (let round = 0; round < 3; round++) {
        const current = await refresher.getAccessToken()
        await refresher.refreshAfterUnauthorized(current)
      }

      expect(usedRefreshTokens).toEqual(['r0', 'r1', 'r2'])
      expect(persistedWhenUsed).toEqual(usedRefreshTokens)
      expect(writes.map((tokens) => tokens !== 'cleared' && tokens.refreshToken)).toEqual([
        'r1',
        'r2',
        'r3',
      ])
    })
  })

  describe('when the token response has no refresh token', () => {
    it('keeps the old refresh token, in memory and in the store', async () => {
      const { store, read } = recordingStore({ accessToken: 'a', refreshToken: 'keep-me' })
      const refresher = createTokenRefresher({
        store,
        refresh: async () => ({ accessToken: 'b', expiresAt: Date.now() + 60_000 }),
      })

      await refresher.refresh()

      expect(refresher.getTokens()).toMatchObject({ accessToken: 'b', refreshToken: 'keep-me' })
      expect(read()).toMatchObject({ accessToken: 'b', refreshToken: 'keep-me' })
    })
  })

  describe('when the store fails to write', () => {
    it('keeps the new tokens in memory and reports the failure as an event', async () => {
      const events: TokenRefreshEvent[] = []
      const storeError = new Error('disk full')
      const refresher = createTokenRefresher({
        refresh: async () => ({ accessToken: 'b', refreshToken: 'r2' }),
        onEvent: (event) => events.push(event),
        store: {
          get: () => ({ accessToken: 'a', refreshToken: 'r1' }),
          set: () => {
            throw storeError
          },
          clear: () => {},
        },
      })

      expect(await refresher.refreshAfterUnauthorized('a')).toBe('b')
      expect(refresher.getTokens()?.refreshToken).toBe('r2')
      expect(events).toContainEqual({ type: 'store-failed', operation: 'set', error: storeError })
    })

    it('writes the failure to console.warn when nobody listens for events', async () => {
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
      const refresher = createTokenRefresher({
        refresh: async () => ({ accessToken: 'b' }),
        store: {
          get: () => undefined,
          set: async () => {
            throw new Error('disk full')
          },
          clear: () => {},
        },
      })

      expect(await refresher.getAccessToken()).toBe('b')
      expect(warn).toHaveBeenCalledTimes(1)
      expect(String(warn.mock.calls[0]?.[0])).toContain('failed to set tokens')
      warn.mockRestore()
    })
  })

  describe('when the store fails to read', () => {
    it('rejects with RefreshFailedError carrying the cause, and reads again on the next call', async () => {
      const events: TokenRefreshEvent[] = []
      const readError = new Error('EACCES')
      let reads = 0
      const refresher = createTokenRefresher({
        refresh: async () => ({ accessToken: 'never' }),
        onEvent: (event) => events.push(event),
        store: {
          get: () => {
            reads++
            if (reads === 1) throw readError
            return { accessToken: 'stored' }
          },
          set: () => {},
          clear: () => {},
        },
      })

      const error = await refresher.getAccessToken().catch((caught: unknown) => caught)
      expect(error).toBeInstanceOf(RefreshFailedError)
      expect((error as Error).cause).toBe(readError)
      expect(events).toContainEqual({ type: 'store-failed', operation: 'get', error: readError })
      expect(await refresher.getAccessToken()).toBe('stored')
    })

    it('rejects a stored token set that is invalid, naming the field', async () => {
      const refresher = createTokenRefresher({
        refresh: async () => ({ accessToken: 'never' }),
        onEvent: () => {},
        store: { get: () => ({ accessToken: 42 }) as never, set: () => {}, clear: () => {} },
      })

      await expect(refresher.getAccessToken()).rejects.toThrow(
        'Store holds an invalid token set: expected `accessToken` to be a non-empty string, got a number',
      )
    })
  })

  describe('when both a store and initialTokens are given', () => {
    it('prefers the stored tokens, which may hold a newer rotated refresh token', async () => {
      const refresher = createTokenRefresher({
        refresh: async () => ({ accessToken: 'never' }),
        initialTokens: { accessToken: 'initial' },
        store: { get: () => ({ accessToken: 'stored' }), set: () => {}, clear: () => {} },
      })

      expect(await refresher.getAccessToken()).toBe('stored')
    })

    it('starts from initialTokens when the store is empty', async () => {
      const refresher = createTokenRefresher({
        refresh: async () => ({ accessToken: 'never' }),
        initialTokens: { accessToken: 'initial' },
        store: { get: () => undefined, set: () => {}, clear: () => {} },
      })

      expect(await refresher.getAccessToken()).toBe('initial')
    })
  })

  describe('setTokens', () => {
    it('persists the tokens and ends a pending refresh without publishing its result', async () => {
      const { store, read } = recordingStore({ accessToken: 'a', refreshToken: 'r1' })
      const { refresh, calls } = controlledRefresh()
      const refresher = createTokenRefresher({ refresh, store })

      const waiting = refresher.refreshAfterUnauthorized('a')
      await flushPromises()
      await refresher.setTokens({ accessToken: 'signed-in', refreshToken: 'r-new' })
      calls[0]?.resolve({ accessToken: 'from-old-session', refreshToken: 'r2' })

      expect(await waiting).toBe('signed-in')
      await flushPromises()
      expect(refresher.getTokens()?.accessToken).toBe('signed-in')
      expect(read()?.refreshToken).toBe('r-new')
    })

    it('keeps the tokens in memory and rejects with the store error when the store fails', async () => {
      const storeError = new Error('read-only file system')
      const refresher = createTokenRefresher({
        refresh: async () => ({ accessToken: 'never' }),
        onEvent: () => {},
        store: {
          get: () => undefined,
          set: () => Promise.reject(storeError),
          clear: () => {},
        },
      })

      await expect(refresher.setTokens({ accessToken: 'signed-in' })).rejects.toBe(storeError)
      expect(await refresher.getAccessToken()).toBe('signed-in')
    })
  })

  describe('clear', () => {
    it('forgets the tokens in memory and in the store', async () => {
      const { store, read } = recordingStore({ accessToken: 'a', refreshToken: 'r1' })
      const { refresh, calls } = controlledRefresh()
      const refresher = createTokenRefresher({ refresh, store })
      await refresher.getAccessToken()

      await refresher.clear()

      expect(refresher.getTokens()).toBeUndefined()
      expect(read()).toBeUndefined()
      const next = refresher.getAccessToken()
      await flushPromises()
      expect(calls[0]?.tokens).toBeUndefined()
      calls[0]?.resolve({ accessToken: 'minted' })
      expect(await next).toBe('minted')
    })

    it('lets waiters of a refresh that was running fail with SessionExpiredError, and publishes nothing', async () => {
      const { refresh, calls } = controlledRefresh()
      const refresher = createTokenRefresher({ refresh, initialTokens: { accessToken: 'a' } })

      const waiting = refresher.refreshAfterUnauthorized('a')
      await flushPromises()
      await refresher.clear()
      calls[0]?.resolve({ accessToken: 'b' })

      await expect(waiting).rejects.toMatchObject({ name: 'SessionExpiredError' })
      expect(refresher.getTokens()).toBeUndefined()
    })
  })

  describe('getTokens', () => {
    it('returns a frozen copy that cannot change what the refresher holds', async () => {
      const initialTokens = { accessToken: 'a' }
      const refresher = createTokenRefresher({
        refresh: async () => ({ accessToken: 'b' }),
        initialTokens,
      })
      initialTokens.accessToken = 'mutated'

      const tokens = refresher.getTokens()
      expect(Object.isFrozen(tokens)).toBe(true)
      expect(tokens?.accessToken).toBe('a')
    })
  })
})

describe('settled()', () => {
  it('resolves once the refresh in flight and its store write have settled, as a process about to exit needs', async () => {
    const { refresh, calls } = controlledRefresh()
    const write = deferred<void>()
    const refresher = createTokenRefresher({
      refresh,
      store: {
        get: () => ({ accessToken: 'a', refreshToken: 'r1' }),
        set: () => write.promise,
        clear: () => {},
      },
    })
    await refresher.getAccessToken()
    refresher.refreshAfterUnauthorized('a').catch(() => {})
    let settled = false
    const settling = refresher.settled().then(() => {
      settled = true
    })
    await flushPromises()
    calls[0]?.resolve({ accessToken: 'b', refreshToken: 'r2' })
    await flushPromises()
    expect(settled).toBe(false)
    write.resolve()
    await settling
    expect(settled).toBe(true)
  })

  it('resolves at once when nothing is in progress', async () => {
    const refresher = createTokenRefresher({
      refresh: async () => ({ accessToken: 'b' }),
      initialTokens: { accessToken: 'a' },
    })
    await expect(refresher.settled()).resolves.toBeUndefined()
  })
})
