export { expireAfterAbort } from './expire-after-abort.js'
export type { LockQueue } from './lock-queue.js'
export { createLockQueue } from './lock-queue.js'
