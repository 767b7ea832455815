import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createTokenRefresher, RefreshTimeoutError, type TokenStore } from '../src/index.js'
import { controlledRefresh, deferred, flushPromises } from './support.js'

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
})
afterEach(() => {
  vi.useRealTimers()
})

describe('when a refresh times out while its refresh function, which ignores the signal, still runs', () => {
  it('sends no second refresh with the same refresh token, and the late tokens keep the session', async () => {
    const used: Array<string | undefined> = []
    const { refresh, calls } = controlledRefresh()
    const onSessionExpired = vi.fn()
    const refresher = createTokenRefresher({
      refresh: (context) => {
        used.push(context.tokens?.refreshToken)
        return refresh(context)
      },
      onSessionExpired,
      refreshTimeoutMs: 100,
      refreshBackoffMs: 0,
      initialTokens: { accessToken: 'a0', refreshToken: 'r0' },
    })

    const first = refresher.refreshAfterUnauthorized('a0').catch((error: unknown) => error)
    await vi.advanceTimersByTimeAsync(100)
    expect(await first).toBeInstanceOf(RefreshTimeoutError)

    // Before the fix, this call refreshed with r0 again, got invalid_grant and ended the session.
    const next = refresher.refreshAfterUnauthorized('a0')
    await flushPromises()
    expect(used).toEqual(['r0'])

    calls[0]?.resolve({ accessToken: 'a1', refreshToken: 'r1' })
    expect(await next).toBe('a1')
    expect(used).toEqual(['r0'])
    expect(onSessionExpired).not.toHaveBeenCalled()
    expect(refresher.getTokens()?.refreshToken).toBe('r1')
  })
})

describe('when setTokens runs while an expiring session is being cleared from the store', () => {
  it('fires neither onSessionExpired nor the session-expired event afterwards', async () => {
    const clearing = deferred<void>()
    const onSessionExpired = vi.fn()
    const onEvent = vi.fn()
    const store: TokenStore = {
      get: () => ({ accessToken: 'a0', refreshToken: 'r0' }),
      set: () => {},
      clear: () => clearing.promise,
    }
    const refresher = createTokenRefresher({
      store,
      onSessionExpired,
      onEvent,
      refresh: async () => {
        throw { error: 'invalid_grant' }
      },
    })
    await refresher.getAccessToken()

    const expiring = refresher.refreshAfterUnauthorized('a0').catch((error: unknown) => error)
    await flushPromises()
    const signingIn = refresher.setTokens({ accessToken: 'signed-in', refreshToken: 'fresh' })
    clearing.resolve()
    await signingIn
    await expiring
    await flushPromises()

    expect(onSessionExpired).not.toHaveBeenCalled()
    expect(onEvent).not.toHaveBeenCalledWith(expect.objectContaining({ type: 'session-expired' }))
    expect(await refresher.getAccessToken()).toBe('signed-in')
  })
})

describe('when a store that is not shared lags behind memory, after a failed write', () => {
  it('does not take the stale stored tokens back after an invalid_grant', async () => {
    const used: Array<string | undefined> = []
    let revoked = false
    const refresher = createTokenRefresher({
      onEvent: () => {},
      store: {
        get: () => ({ accessToken: 'a0', refreshToken: 'r0' }),
        // Every write fails: the store keeps a0/r0 while memory moves on to a1/r1.
        set: () => Promise.reject(new Error('disk full')),
        clear: () => {},
      },
      refresh: async ({ tokens }) => {
        used.push(tokens?.refreshToken)
        if (revoked || tokens?.refreshToken !== 'r0') throw { error: 'invalid_grant' }
        return { accessToken: 'a1', refreshToken: 'r1' }
      },
    })
    expect(await refresher.refreshAfterUnauthorized('a0')).toBe('a1')
    revoked = true

    // Before the fix, this re-read the store, took a0/r0 back, and the next refresh sent the consumed r0.
    await expect(refresher.refreshAfterUnauthorized('a1')).rejects.toThrow('Session expired')
    expect(used).toEqual(['r0', 'r1'])
    expect(refresher.getTokens()).toBeUndefined()
  })
})
