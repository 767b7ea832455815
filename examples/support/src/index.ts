export type { RunLog, RunSummary } from './run-log.js'
export { createRunLog, describeError, exitWithError, reportRun } from './run-log.js'
export {
  anySettingGiven,
  optionalSetting,
  optionalUrlSetting,
  requiredSetting,
  requiredUrlSetting,
  SettingError,
  type TokenEndpointSettings,
  tokenEndpointSettings,
} from './settings.js'
export type { SimulatedProvider, SimulatedProviderOptions } from './simulated-provider.js'
export { simulatedClient, startSimulatedProvider } from './simulated-provider.js'
export type { UserSessionProvider } from './user-session-provider.js'
export {
  connectUserSession,
  sessionFromRefreshToken,
  userSessionSettings,
} from './user-session-provider.js'
