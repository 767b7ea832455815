import { TokenflightError } from '@tokenflight/core'

/**
 * What went wrong with the tokens in Redis: Redis could not be reached, the key holds something other than a token
 * set, Redis refused a command, or this store's lock lease passed to another holder (a fenced write was refused).
 */
export type RedisTokenStoreFailureReason =
  | 'unavailable'
  | 'corrupt'
  | 'command-failed'
  | 'lock-lost'

/**
 * A Redis token store could not read, write or lock the tokens; the message names the key and what failed, never a
 * stored value.
 */
export class RedisTokenStoreError extends TokenflightError {
  override name = 'RedisTokenStoreError' as const
  override readonly code = 'REDIS_TOKEN_STORE_ERROR' as const
  /** The key of the token set. */
  readonly key: string
  readonly reason: RedisTokenStoreFailureReason

  constructor(
    message: string,
    details: { key: string; reason: RedisTokenStoreFailureReason; cause?: unknown },
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause })
    this.key = details.key
    this.reason = details.reason
  }
}
