export { type HeldLease, lockSignalOf, runUnderLease } from './lease-section.js'
export type { LockQueue } from './lock-queue.js'
export { createLockQueue } from './lock-queue.js'
