export {
  RefreshFailedError,
  RefreshTimeoutError,
  SessionExpiredError,
  TokenRefreshError,
} from './errors.js'
export type { RefreshReason, TokenRefreshEvent } from './events.js'
export { isInvalidGrant } from './failure-classification.js'
export { readJwtExpiresAt } from './jwt.js'
export type { RefreshFunction, TokenRefresherOptions } from './refresher-options.js'
export type { TokenRefresher, WaitOptions } from './token-refresher.js'
export { createTokenRefresher } from './token-refresher.js'
export type { ParseTokenResponseOptions } from './token-response.js'
export { parseTokenResponse } from './token-response.js'
export type { IsExpiredOptions, TokenSet } from './token-set.js'
export { isExpired } from './token-set.js'
export type { TokenStore } from './token-store.js'
export { memoryTokenStore } from './token-store.js'
