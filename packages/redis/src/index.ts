export type {
  RedisClientLike,
  RedisSubscriberLike,
  RedisTokenStore,
  RedisTokenStoreOptions,
} from './redis-token-store.js'
export { redisTokenStore } from './redis-token-store.js'
export type { RedisTokenStoreFailureReason } from './redis-token-store-error.js'
export { RedisTokenStoreError } from './redis-token-store-error.js'
