export { isRefreshSignal } from '../refresh-signal.js'
export type { TokenRefreshAdapterOptions } from './adapter-options.js'
export { authorizationFor } from './authorization.js'
export type {
  AuthorizationPolicy,
  AuthorizeOptions,
  ReplayOptions,
  RequestTarget,
  RequestWaitOptions,
  ResponseAccess,
  SendOptions,
} from './authorization-policy.js'
export {
  createAuthorizationPolicy,
  fetchResponseAccess,
  RequestCredentials,
} from './authorization-policy.js'
export { discardBody } from './discard-body.js'
export type { OriginList } from './origin-filter.js'
export { createOriginFilter } from './origin-filter.js'
export { isReplayableBody } from './replayable-body.js'
