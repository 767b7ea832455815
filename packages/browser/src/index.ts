export type {
  BrowserLockKind,
  BrowserTokenStore,
  BrowserTokenStoreOptions,
} from './browser-token-store.js'
export { browserTokenStore } from './browser-token-store.js'
export type { BrowserTokenStoreFailureReason } from './errors.js'
export { BrowserTokenStoreError } from './errors.js'
