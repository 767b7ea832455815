import { describe, expect, it, vi } from 'vitest'
import {
  createTokenRefresher,
  RefreshFailedError,
  type TokenRefresherOptions,
  type TokenSet,
} from '../src/index.js'

const refresh = async (): Promise<TokenSet> => ({ accessToken: 'a' })

function create(options: unknown) {
  return () => createTokenRefresher(options as TokenRefresherOptions)
}

describe('behaviour 9: bad input', () => {
  describe('invalid options', () => {
    it.each([
      [undefined, 'Expected `options` to be an object with at least a `refresh` function'],
      [{}, 'Expected `refresh` to be a function'],
      [{ refresh: 'https://example.com/token' }, 'Expected `refresh` to be a function'],
      [
        { refresh, refreshBeforeExpiryMs: -1 },
        'Expected `refreshBeforeExpiryMs` to be a non-negative finite number of milliseconds',
      ],
      [
        { refresh, refreshBeforeExpiryMs: Number.NaN },
        'Expected `refreshBeforeExpiryMs` to be a non-negative finite number of milliseconds',
      ],
      [
        { refresh, backgroundRefreshBeforeExpiryMs: '5m' },
        'Expected `backgroundRefreshBeforeExpiryMs` to be a non-negative finite number of milliseconds',
      ],
      [
        { refresh, backgroundRetryIntervalMs: Number.POSITIVE_INFINITY },
        'Expected `backgroundRetryIntervalMs` to be a non-negative finite number of milliseconds',
      ],
      [
        { refresh, refreshTimeoutMs: 0 },
        'Expected `refreshTimeoutMs` to be a positive number up to 2147483647, or Infinity',
      ],
      [
        { refresh, refreshTimeoutMs: Number.NaN },
        'Expected `refreshTimeoutMs` to be a positive number up to 2147483647, or Infinity',
      ],
      [
        { refresh, refreshTimeoutMs: 3_000_000_000 },
        'Expected `refreshTimeoutMs` to be a positive number up to 2147483647, or Infinity',
      ],
      [
        { refresh, store: { get: () => undefined } },
        'Expected `store` to have `get`, `set` and `clear` methods',
      ],
      [{ refresh, store: null }, 'Expected `store` to have `get`, `set` and `clear` methods'],
      [
        { refresh, initialTokens: { accessToken: '' } },
        'Expected `initialTokens.accessToken` to be a non-empty string, got an empty string',
      ],
      [
        { refresh, initialTokens: { accessToken: 'a', expiresAt: '2026-01-01' } },
        'Expected `initialTokens.expiresAt` to be a finite number of epoch milliseconds or undefined, got a string',
      ],
      [{ refresh, onSessionExpired: true }, 'Expected `onSessionExpired` to be a function'],
      [
        { refresh, isSessionExpired: 'invalid_grant' },
        'Expected `isSessionExpired` to be a function',
      ],
      [{ refresh, onEvent: console }, 'Expected `onEvent` to be a function'],
      [{ refresh, now: Date.now() }, 'Expected `now` to be a function'],
      [{ refresh, refreshBeforeExpiry: 60 }, 'Unknown option `refreshBeforeExpiry`'],
    ])('throws a TypeError naming the option for %o', (options, message) => {
      expect(create(options)).toThrow(new TypeError(message))
    })
  })

  describe('when the refresh function resolves an invalid token set', () => {
    it.each([
      [{}, 'expected `accessToken` to be a non-empty string, got undefined'],
      [null, 'expected a token set object, got null'],
      [undefined, 'expected a token set object, got undefined'],
      ['eyJhbGciOi.plain.string', 'expected a token set object, got a string'],
      [{ accessToken: 42 }, 'expected `accessToken` to be a non-empty string, got a number'],
      [{ accessToken: '' }, 'expected `accessToken` to be a non-empty string, got an empty string'],
      [
        { accessToken: 'a', expiresAt: Number.NaN },
        'expected `expiresAt` to be a finite number of epoch milliseconds or undefined, got NaN',
      ],
      [
        { accessToken: 'a', expiresAt: Number.POSITIVE_INFINITY },
        'expected `expiresAt` to be a finite number of epoch milliseconds or undefined, got Infinity',
      ],
      [
        { accessToken: 'a', refreshToken: 7 },
        'expected `refreshToken` to be a non-empty string or undefined, got a number',
      ],
      [
        { accessToken: 'a', tokenType: '' },
        'expected `tokenType` to be a non-empty string or undefined, got an empty string',
      ],
      [
        { accessToken: 'a', scope: ['read'] },
        'expected `scope` to be a string or undefined, got an array',
      ],
    ])('fails the refresh with a message naming the field for %o', async (result, problem) => {
      const refresher = createTokenRefresher({ refresh: async () => result as TokenSet })

      const error = await refresher.refresh().catch((caught: unknown) => caught)
      expect(error).toBeInstanceOf(RefreshFailedError)
      expect((error as Error).message).toBe(
        `Refresh function resolved an invalid token set: ${problem}`,
      )
    })

    it('keeps the current tokens', async () => {
      const refresher = createTokenRefresher({
        initialTokens: { accessToken: 'a', refreshToken: 'r1' },
        refresh: async () => ({}) as TokenSet,
      })

      await expect(refresher.refresh()).rejects.toBeInstanceOf(RefreshFailedError)
      expect(refresher.getTokens()).toMatchObject({ accessToken: 'a', refreshToken: 'r1' })
    })
  })

  describe('when the refresh function throws a non-Error value', () => {
    it.each([
      ['a string', 'network down', 'Refresh function threw a non-Error value (a string)'],
      ['undefined', undefined, 'Refresh function threw a non-Error value (undefined)'],
      ['a number', 503, 'Refresh function threw a non-Error value (a number)'],
    ])('fails with RefreshFailedError keeping %s as the cause', async (_kind, thrown, message) => {
      const refresher = createTokenRefresher({
        refresh: () => {
          throw thrown
        },
      })

      const error = await refresher.getAccessToken().catch((caught: unknown) => caught)
      expect(error).toBeInstanceOf(RefreshFailedError)
      expect((error as Error).message).toBe(message)
      expect((error as Error).cause).toBe(thrown)
    })
  })

  describe('when the refresh function throws synchronously instead of rejecting', () => {
    it('fails the refresh the same way', async () => {
      const thrown = new Error('not async')
      const refresher = createTokenRefresher({
        refresh: () => {
          throw thrown
        },
      })

      const error = await refresher.getAccessToken().catch((caught: unknown) => caught)
      expect(error).toBeInstanceOf(RefreshFailedError)
      expect((error as Error).message).toBe('Refresh function threw Error')
    })
  })

  describe('when the store has no working set method', () => {
    it('reports it and keeps the refreshed tokens in memory', async () => {
      const onEvent = vi.fn()
      const refresher = createTokenRefresher({
        refresh: async () => ({ accessToken: 'b' }),
        onEvent,
        store: {
          get: () => undefined,
          set: () => {
            throw new TypeError('store.set is broken')
          },
          clear: () => {},
        },
      })

      expect(await refresher.getAccessToken()).toBe('b')
      expect(onEvent).toHaveBeenCalledWith(
        expect.objectContaining({ type: 'store-failed', operation: 'set' }),
      )
    })
  })

  describe('setTokens with an invalid token set', () => {
    it('rejects with a TypeError naming the field and keeps the current tokens', async () => {
      const refresher = createTokenRefresher({ refresh, initialTokens: { accessToken: 'a' } })

      await expect(
        refresher.setTokens({ accessToken: 'b', expiresAt: Number.NaN }),
      ).rejects.toThrow(
        new TypeError(
          'Expected `tokens.expiresAt` to be a finite number of epoch milliseconds or undefined, got NaN',
        ),
      )
      expect(refresher.getTokens()?.accessToken).toBe('a')
    })
  })

  describe('refreshAfterUnauthorized without a token', () => {
    it('rejects with a TypeError naming the argument', async () => {
      const refresher = createTokenRefresher({ refresh })

      await expect(
        refresher.refreshAfterUnauthorized(undefined as unknown as string),
      ).rejects.toThrow(
        new TypeError('Expected `rejectedAccessToken` to be a string, got undefined'),
      )
    })
  })
})
