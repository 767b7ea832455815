import { afterEach, describe, expect, it, vi } from 'vitest'
import { isRefreshSignal } from '../src/adapter/index.js'
import {
  createTokenRefresher,
  RefreshFailedError,
  RefreshTimeoutError,
  SessionExpiredError,
  type TokenRefresher,
} from '../src/index.js'
import { controlledRefresh, flushPromises, hour, manualClock } from './support.js'

describe('behaviour 1: single flight', () => {
  describe('when fifty callers need a token while it is expired', () => {
    it('runs one refresh and resolves every caller with its token', async () => {
      const clock = manualClock()
      const { refresh, calls } = controlledRefresh()
      const refresher = createTokenRefresher({
        refresh,
        now: clock.now,
        initialTokens: { accessToken: 'old', refreshToken: 'r1', expiresAt: clock.now() - 1 },
      })

      const callers = Array.from({ length: 50 }, () => refresher.getAccessToken())
      await flushPromises()
      expect(calls).toHaveLength(1)
      expect(calls[0]?.tokens?.refreshToken).toBe('r1')

      calls[0]?.resolve({ accessToken: 'new', refreshToken: 'r2', expiresAt: clock.now() + hour })
      expect(await Promise.all(callers)).toEqual(Array(50).fill('new'))
      expect(calls).toHaveLength(1)
    })
  })

  describe('when a caller arrives while a refresh is being persisted', () => {
    it('joins that refresh instead of starting another', async () => {
      const clock = manualClock()
      const { refresh, calls } = controlledRefresh()
      let releaseWrite = () => {}
      const store = {
        get: () => ({ accessToken: 'old', refreshToken: 'r1', expiresAt: clock.now() - 1 }),
        set: () =>
          new Promise<void>((resolve) => {
            releaseWrite = resolve
          }),
        clear: () => {},
      }
      const refresher = createTokenRefresher({ refresh, now: clock.now, store })

      const first = refresher.getAccessToken()
      await flushPromises()
      calls[0]?.resolve({ accessToken: 'new', expiresAt: clock.now() + hour })
      await flushPromises()
      const second = refresher.getAccessToken()
      releaseWrite()

      expect(await Promise.all([first, second])).toEqual(['new', 'new'])
      expect(calls).toHaveLength(1)
    })
  })

  describe('when the refresh finished', () => {
    it('starts the next refresh fresh after a success', async () => {
      const { refresh, calls } = controlledRefresh()
      const refresher = createTokenRefresher({ refresh, initialTokens: { accessToken: 'a' } })

      const first = refresher.refresh()
      calls[0]?.resolve({ accessToken: 'b' })
      await first
      const second = refresher.refresh()
      await flushPromises()

      expect(calls).toHaveLength(2)
      calls[1]?.resolve({ accessToken: 'c' })
      expect((await second).accessToken).toBe('c')
    })

    it('starts the next refresh fresh after a failure', async () => {
      const { refresh, calls } = controlledRefresh()
      const refresher = createTokenRefresher({
        refresh,
        initialTokens: { accessToken: 'a' },
        refreshBackoffMs: 0,
      })

      const first = refresher.refresh()
      await flushPromises()
      calls[0]?.reject(new Error('network down'))
      await expect(first).rejects.toThrow()
      const second = refresher.refresh()
      await flushPromises()

      expect(calls).toHaveLength(2)
      calls[1]?.resolve({ accessToken: 'b' })
      expect((await second).accessToken).toBe('b')
    })
  })

  describe('when a forced refresh is asked for while one runs', () => {
    it('joins the running refresh', async () => {
      const { refresh, calls } = controlledRefresh()
      const refresher = createTokenRefresher({ refresh })

      const viaToken = refresher.getAccessToken()
      const forced = refresher.refresh()
      await flushPromises()
      calls[0]?.resolve({ accessToken: 'minted' })

      expect(await viaToken).toBe('minted')
      expect((await forced).accessToken).toBe('minted')
      expect(calls).toHaveLength(1)
    })
  })

  describe('with no tokens at all', () => {
    it('refreshes with `tokens: undefined`, as a client-credentials or JWT-bearer refresh mints a token', async () => {
      const { refresh, calls } = controlledRefresh()
      const refresher = createTokenRefresher({ refresh })

      const token = refresher.getAccessToken()
      await flushPromises()
      expect(calls).toHaveLength(1)
      expect(calls[0]?.tokens).toBeUndefined()
      calls[0]?.resolve({ accessToken: 'minted', expiresAt: Date.now() + hour })

      expect(await token).toBe('minted')
      expect(refresher.getTokens()?.accessToken).toBe('minted')
    })

    it('rejects with SessionExpiredError when a refresh-token function has nothing to refresh', async () => {
      const refresher = createTokenRefresher({
        refresh: async ({ tokens }) => {
          if (tokens?.refreshToken === undefined) throw new SessionExpiredError('Sign in first')
          return { accessToken: 'never' }
        },
      })

      const error = await refresher.getAccessToken().catch((caught: unknown) => caught)
      expect(error).toBeInstanceOf(SessionExpiredError)
      expect((error as Error).message).toBe('Sign in first')
    })
  })

  describe('when the token is fresh', () => {
    it('resolves it without calling the refresh function', async () => {
      const { refresh, calls } = controlledRefresh()
      const refresher = createTokenRefresher({
        refresh,
        initialTokens: { accessToken: 'fresh', expiresAt: Date.now() + hour },
      })

      expect(await refresher.getAccessToken()).toBe('fresh')
      expect(calls).toHaveLength(0)
    })
  })
})

describe('single flight, when the refresh itself asks the refresher for a token', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('runs one refresh, and fails it at once, when the refresh function asks for a token with its signal', async () => {
    let calls = 0
    const refresher: TokenRefresher = createTokenRefresher({
      initialTokens: { accessToken: 'old', refreshToken: 'r', expiresAt: Date.now() - 1 },
      refresh: async ({ signal }) => {
        calls++
        await refresher.getAccessToken({ signal })
        return { accessToken: 'new' }
      },
    })

    const error = await refresher.getAccessToken().catch((caught: unknown) => caught)

    expect(error).toBeInstanceOf(RefreshFailedError)
    expect(((error as Error).cause as Error).message).toBe(
      'The refresh function asked the refresher for an access token, which waits for that very refresh: send the token request without one',
    )
    expect(calls).toBe(1)
  })

  it('runs one refresh, which times out, when the refresh function asks for a token without its signal', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    let calls = 0
    const refresher: TokenRefresher = createTokenRefresher({
      initialTokens: { accessToken: 'old', refreshToken: 'r', expiresAt: Date.now() - 1 },
      refreshTimeoutMs: 200,
      refresh: async () => {
        calls++
        await refresher.getAccessToken()
        return { accessToken: 'new' }
      },
    })

    const waiter = refresher.getAccessToken().catch((error: unknown) => error)
    await vi.advanceTimersByTimeAsync(200)

    expect(await waiter).toBeInstanceOf(RefreshTimeoutError)
    expect(calls).toBe(1)
  })

  it('marks the signal it hands the refresh function, so that adapters let its token request through', async () => {
    const signals: AbortSignal[] = []
    const refresher = createTokenRefresher({
      refresh: async ({ signal }) => {
        signals.push(signal)
        return { accessToken: 'minted' }
      },
    })

    await refresher.getAccessToken()

    expect(signals.map((signal) => isRefreshSignal(signal))).toEqual([true])
    expect(isRefreshSignal(new AbortController().signal)).toBe(false)
    expect(isRefreshSignal(undefined)).toBe(false)
  })

  it('runs one refresh when an event listener asks for a token as the refresh starts', async () => {
    const { refresh, calls } = controlledRefresh()
    const fromListener: Array<Promise<string>> = []
    const refresher: TokenRefresher = createTokenRefresher({
      refresh,
      onEvent: (event) => {
        if (event.type === 'refresh-started') fromListener.push(refresher.getAccessToken())
      },
    })

    const token = refresher.getAccessToken()
    await flushPromises()
    calls[0]?.resolve({ accessToken: 'minted' })

    expect(await token).toBe('minted')
    expect(await Promise.all(fromListener)).toEqual(['minted'])
    expect(calls).toHaveLength(1)
  })
})
