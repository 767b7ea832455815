export type {
  AdapterHarness,
  BodyKind,
  ContractAdapterOptions,
  ContractBody,
  ContractClient,
  ContractOutcome,
  ContractRequest,
} from './adapter-harness.js'
export { isAbortError, readOutcome } from './adapter-harness.js'
export { describeAdapterContract } from './describe-adapter-contract.js'
export type { MockNetwork } from './mock-network.js'
export { contentTypeFor, createBody, expectedEcho } from './request-bodies.js'
