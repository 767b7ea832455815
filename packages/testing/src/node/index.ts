export type {
  OAuthSimulatorServer,
  ServeOAuthSimulatorOptions,
} from './serve-oauth-simulator.js'
export { serveOAuthSimulator } from './serve-oauth-simulator.js'
