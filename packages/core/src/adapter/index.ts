export { isRefreshSignal } from '../refresh-signal.js'
export type {
  ResolvedAdapterOptions,
  TokenRefreshAdapterOptions,
} from './adapter-options.js'
export { isUnauthorizedStatus, resolveAdapterOptions } from './adapter-options.js'
export { authorizationFor } from './authorization.js'
export { discardBody } from './discard-body.js'
export type { OriginList } from './origin-filter.js'
export { createOriginFilter } from './origin-filter.js'
export { isReplayableBody } from './replayable-body.js'
