export type { DPoPAlgorithm, DPoPHandle, DPoPProofRequest } from './dpop-handle.js'
export { createDPoPHandle } from './dpop-handle.js'
export type { TokenEndpointErrorDetails } from './errors.js'
export {
  RefreshFailedError,
  RefreshTimeoutError,
  redactTokenLike,
  SessionExpiredError,
  TokenEndpointError,
  TokenflightError,
  TokenRefreshError,
} from './errors.js'
export type { RefreshReason, TokenRefreshEvent } from './events.js'
export { isInvalidGrant } from './failure-classification.js'
export { readJwtExpiresAt } from './jwt.js'
export { readRetryAfterMs } from './refresh-backoff.js'
export type { RefreshFunction, TokenRefresherOptions } from './refresher-options.js'
export type {
  PoolRefreshContext,
  RefresherPool,
  RefresherPoolEvent,
  RefresherPoolKey,
  RefresherPoolOptions,
} from './refresher-pool.js'
export { createRefresherPool } from './refresher-pool.js'
export type { TokenRefresher, WaitOptions } from './token-refresher.js'
export { createTokenRefresher } from './token-refresher.js'
export type { ParseTokenResponseOptions } from './token-response.js'
export { parseTokenResponse } from './token-response.js'
export type { IsExpiredOptions, TokenSet } from './token-set.js'
export { isExpired } from './token-set.js'
export type { TokenStore } from './token-store.js'
export { memoryTokenStore } from './token-store.js'
export type { AuthenticationChallenge } from './www-authenticate.js'
export { parseWwwAuthenticate } from './www-authenticate.js'
