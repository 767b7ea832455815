import { TokenflightError } from '@tokenflight/core'

/** What went wrong with the stored session. */
export type BrowserTokenStoreFailureReason =
  /** IndexedDB cannot be opened or used here: missing, blocked by the browser's settings, or at a newer version. */
  | 'unavailable'
  /** The origin's storage quota is used up: the tokens were not written. */
  | 'quota-exceeded'
  /** The stored value is not a session this package wrote: not JSON, or not a token set. */
  | 'corrupt'
  /** A write under the lock was refused: another tab wrote the session since this one read it, and its tokens win. */
  | 'conflict'
  /** The lock was let go before the critical section settled: stuck past its deadline, lease lost, or page hidden. */
  | 'lock-lost'

/**
 * The session kept by `browserTokenStore` could not be read or written. The message names the session key and the
 * browser's error name, never a token; the tokens a refresher holds in memory are kept.
 */
export class BrowserTokenStoreError extends TokenflightError {
  override name = 'BrowserTokenStoreError' as const
  override readonly code = 'BROWSER_TOKEN_STORE_ERROR' as const
  readonly key: string
  readonly reason: BrowserTokenStoreFailureReason

  constructor(
    message: string,
    details: { key: string; reason: BrowserTokenStoreFailureReason; cause?: unknown },
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause })
    this.key = details.key
    this.reason = details.reason
  }
}
