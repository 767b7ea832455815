export type { ExampleProgramOptions, ProgramExit } from './example-program.js'
export {
  anySettingGiven,
  finishRun,
  runAgainstYourProvider,
  runExampleProgram,
} from './example-program.js'
export type { SimulatedRunOptions } from './simulated-run.js'
export { runOnSimulatedProvider, simulatedClient, userSession } from './simulated-run.js'
