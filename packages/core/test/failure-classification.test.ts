import { describe, expect, it, vi } from 'vitest'
import {
  createTokenRefresher,
  RefreshFailedError,
  SessionExpiredError,
  TokenRefreshError,
  type TokenSet,
} from '../src/index.js'
import { controlledRefresh, flushPromises, manualClock } from './support.js'

describe('behaviour 6: failures are classified', () => {
  describe('when a refresh fails transiently while ten callers wait', () => {
    it('rejects every waiter with the same RefreshFailedError, keeping the cause', async () => {
      const { refresh, calls } = controlledRefresh()
      const refresher = createTokenRefresher({
        refresh,
        initialTokens: { accessToken: 'a', refreshToken: 'r1' },
      })
      const networkError = new TypeError('fetch failed')

      const waiters = Array.from({ length: 10 }, () =>
        refresher.refreshAfterUnauthorized('a').catch((error: unknown) => error),
      )
      await flushPromises()
      calls[0]?.reject(networkError)
      const errors = await Promise.all(waiters)

      expect(errors[0]).toBeInstanceOf(RefreshFailedError)
      expect(errors[0]).toBeInstanceOf(TokenRefreshError)
      expect((errors[0] as Error).cause).toBe(networkError)
      expect((errors[0] as RefreshFailedError).code).toBe('REFRESH_FAILED')
      expect(new Set(errors).size).toBe(1)
    })

    it('keeps the tokens, and the next call after the back-off tries again', async () => {
      const { refresh, calls } = controlledRefresh()
      const clock = manualClock()
      const refresher = createTokenRefresher({
        refresh,
        now: clock.now,
        initialTokens: { accessToken: 'a', refreshToken: 'r1' },
      })

      const first = refresher.refreshAfterUnauthorized('a')
      await flushPromises()
      calls[0]?.reject(Object.assign(new Error('Service Unavailable'), { status: 503 }))
      await expect(first).rejects.toBeInstanceOf(RefreshFailedError)
      expect(refresher.getTokens()).toMatchObject({ accessToken: 'a', refreshToken: 'r1' })

      clock.advance(1_000)
      const second = refresher.refreshAfterUnauthorized('a')
      await flushPromises()
      expect(calls[1]?.tokens?.refreshToken).toBe('r1')
      calls[1]?.resolve({ accessToken: 'b' })
      expect(await second).toBe('b')
    })
  })

  describe('when the token endpoint answers invalid_grant', () => {
    async function expireSession(thrown: unknown) {
      const { refresh, calls } = controlledRefresh()
      const onSessionExpired = vi.fn()
      const cleared = vi.fn()
      const refresher = createTokenRefresher({
        refresh,
        onSessionExpired,
        store: {
          get: () => ({ accessToken: 'a', refreshToken: 'r1' }),
          set: () => {},
          clear: cleared,
        },
      })
      const waiters = Array.from({ length: 5 }, () =>
        refresher.refreshAfterUnauthorized('a').catch((error: unknown) => error),
      )
      await flushPromises()
      calls[0]?.reject(thrown)
      const errors = await Promise.all(waiters)
      return { refresher, calls, errors, onSessionExpired, cleared }
    }

    it('rejects every waiter with one SessionExpiredError whose cause is the answer', async () => {
      const answer = { error: 'invalid_grant', error_description: 'Refresh token revoked' }
      const { errors } = await expireSession(answer)

      expect(errors[0]).toBeInstanceOf(SessionExpiredError)
      expect((errors[0] as SessionExpiredError).code).toBe('SESSION_EXPIRED')
      expect((errors[0] as Error).cause).toBe(answer)
      expect(new Set(errors).size).toBe(1)
    })

    it('clears the tokens, in memory and in the store', async () => {
      const { refresher, cleared } = await expireSession({ error: 'invalid_grant' })

      expect(refresher.getTokens()).toBeUndefined()
      expect(cleared).toHaveBeenCalledTimes(1)
    })

    it('calls onSessionExpired exactly once, with the error', async () => {
      const { errors, onSessionExpired } = await expireSession({ error: 'invalid_grant' })

      expect(onSessionExpired).toHaveBeenCalledTimes(1)
      expect(onSessionExpired).toHaveBeenCalledWith(errors[0])
    })

    it('rejects every later call at once, without calling the refresh function, until setTokens', async () => {
      const { refresher, calls, errors, onSessionExpired } = await expireSession({
        error: 'invalid_grant',
      })

      await expect(refresher.getAccessToken()).rejects.toBe(errors[0])
      await expect(refresher.refreshAfterUnauthorized('a')).rejects.toBe(errors[0])
      await expect(refresher.refresh()).rejects.toBe(errors[0])
      expect(calls).toHaveLength(1)
      expect(onSessionExpired).toHaveBeenCalledTimes(1)

      await refresher.setTokens({ accessToken: 'signed-in-again' })
      expect(await refresher.getAccessToken()).toBe('signed-in-again')
    })

    it('recognizes an error whose code is invalid_grant', async () => {
      const { errors } = await expireSession(
        Object.assign(new Error('rejected'), { code: 'invalid_grant' }),
      )

      expect(errors[0]).toBeInstanceOf(SessionExpiredError)
    })

    it('passes a SessionExpiredError thrown by the refresh function through unchanged', async () => {
      const thrown = new SessionExpiredError('Refresh token expired after 14 days')
      const { errors } = await expireSession(thrown)

      expect(errors[0]).toBe(thrown)
    })
  })

  describe('with a custom isSessionExpired', () => {
    it('ends the session on whatever the predicate recognizes', async () => {
      const refresher = createTokenRefresher({
        initialTokens: { accessToken: 'a', refreshToken: 'r1' },
        refresh: async () => {
          throw Object.assign(new Error('Unauthorized'), { status: 401 })
        },
        isSessionExpired: (error) => (error as { status?: number }).status === 401,
      })

      await expect(refresher.refresh()).rejects.toBeInstanceOf(SessionExpiredError)
      expect(refresher.getTokens()).toBeUndefined()
    })

    it('treats invalid_grant as transient when the predicate says so', async () => {
      const refresher = createTokenRefresher({
        initialTokens: { accessToken: 'a', refreshToken: 'r1' },
        refresh: async () => {
          throw { error: 'invalid_grant' }
        },
        isSessionExpired: () => false,
      })

      await expect(refresher.refresh()).rejects.toBeInstanceOf(RefreshFailedError)
      expect(refresher.getTokens()?.refreshToken).toBe('r1')
    })

    it('fails the refresh as transient when the predicate throws', async () => {
      const predicateError = new Error('bug in predicate')
      const refresher = createTokenRefresher({
        initialTokens: { accessToken: 'a' },
        refresh: async () => {
          throw new Error('boom')
        },
        isSessionExpired: () => {
          throw predicateError
        },
      })

      const error = await refresher.refresh().catch((caught: unknown) => caught)
      expect(error).toBeInstanceOf(RefreshFailedError)
      expect((error as Error).cause).toBe(predicateError)
      expect(refresher.getTokens()?.accessToken).toBe('a')
    })
  })

  describe('when onSessionExpired throws', () => {
    it('still rejects the waiters with SessionExpiredError and reports the callback error', async () => {
      const consoleError = vi.spyOn(console, 'error').mockImplementation(() => {})
      const refresher = createTokenRefresher({
        initialTokens: { accessToken: 'a', refreshToken: 'r1' },
        refresh: async (): Promise<TokenSet> => {
          throw { error: 'invalid_grant' }
        },
        onSessionExpired: () => {
          throw new Error('router not ready')
        },
      })

      await expect(refresher.refresh()).rejects.toBeInstanceOf(SessionExpiredError)
      expect(consoleError).toHaveBeenCalledWith(
        'tokenflight: the onSessionExpired callback threw',
        expect.any(Error),
      )
      consoleError.mockRestore()
    })
  })
})
