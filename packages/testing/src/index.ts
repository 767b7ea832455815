export type { DPoPControls, DPoPProofRecord, SimulatorDPoPOptions } from './dpop-verifier.js'
export type {
  ApiRequestRecord,
  OAuthSimulator,
  OAuthSimulatorOptions,
  SimulatorRefreshFunction,
  SimulatorStats,
  TokenFailure,
} from './oauth-simulator.js'
export { createOAuthSimulator } from './oauth-simulator.js'
export type { EchoedFile, RequestEcho } from './request-echo.js'
export type { RequestGate } from './request-gate.js'
export type { SimulatorClock } from './simulator-clock.js'
export type { IssuedTokens } from './token-ledger.js'
