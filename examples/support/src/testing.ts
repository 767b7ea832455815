export { expectRootReadmeSnippetFrom } from './readme-snippet.js'
export type { ExampleRun } from './run-example.js'
export { runExample, runProgram, unreachableUrl } from './run-example.js'
export { describeRealProviderSettings, describeSimulatedSession } from './user-session-checks.js'
