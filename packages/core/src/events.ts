import type { SessionExpiredError, TokenRefreshError } from './errors.js'

/**
 * Why a refresh started: no token yet, the token is inside `refreshBeforeExpiryMs`, the background window,
 * a 401 for the current token, or a call to `refresh()`.
 */
export type RefreshReason = 'missing' | 'expired' | 'background' | 'unauthorized' | 'forced'

/**
 * What a refresher reports through `onEvent`, for logs and counters. No event carries a token value.
 */
export type TokenRefreshEvent =
  | { type: 'refresh-started'; reason: RefreshReason }
  | {
      type: 'refresh-succeeded'
      reason: RefreshReason
      durationMs: number
      expiresAt: number | undefined
      /** The token endpoint issued a new refresh token (rotation). */
      refreshTokenRotated: boolean
      /** The refresh had timed out and its result arrived afterwards; it was kept because nothing newer had. */
      late: boolean
      /** No token endpoint was called: another refresher sharing the store had already refreshed, and its tokens were taken. */
      adopted: boolean
      /** Tokens were set, cleared or refreshed meanwhile, so this result was not used. */
      superseded: boolean
    }
  | {
      type: 'refresh-failed'
      reason: RefreshReason
      durationMs: number
      error: TokenRefreshError
      /** After a transient failure: until this instant (epoch ms) callers that need a refresh fail fast with `error`. */
      retryAt?: number
    }
  | { type: 'session-expired'; error: SessionExpiredError }
  /** A 401 came back for a token that had already been replaced; it was answered with the current token, without a refresh. */
  | { type: 'stale-unauthorized' }
  /** Another refresher sharing the store set or refreshed tokens, and this one took them without a token call. */
  | { type: 'tokens-adopted' }
  /**
   * The store threw, rejected or did not answer in time. Tokens in memory are kept; a failed `set` means they may not
   * survive a restart.
   */
  | {
      type: 'store-failed'
      operation: 'get' | 'set' | 'clear' | 'lock' | 'subscribe'
      error: unknown
    }
