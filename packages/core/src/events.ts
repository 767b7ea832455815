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
      /** Tokens were set, cleared or refreshed meanwhile, so this result was not used. */
      superseded: boolean
    }
  | { type: 'refresh-failed'; reason: RefreshReason; durationMs: number; error: TokenRefreshError }
  | { type: 'session-expired'; error: SessionExpiredError }
  /** A 401 came back for a token that had already been replaced; it was answered with the current token, without a refresh. */
  | { type: 'stale-unauthorized' }
  /** The store threw or rejected. Tokens in memory are kept; a failed `set` means they may not survive a restart. */
  | { type: 'store-failed'; operation: 'get' | 'set' | 'clear'; error: unknown }
