export { fingerprint } from './fingerprint.js'
export type { RunSummary } from './run-summary.js'
export { summarizeRun } from './run-summary.js'
export type { SessionWorker, SessionWorkers } from './session-workers.js'
export { startSessionWorkers } from './session-workers.js'
export type {
  TokenRequestRecord,
  TokenResponseRecord,
  WorkerOptions,
  WorkerReport,
  WorkerStore,
} from './worker-protocol.js'
