import { runOnSimulatedProvider, userSession } from '@tokenflight/example-support'

// Not part of the example: `pnpm start` runs src/main.ts against the simulated provider of @tokenflight/testing, on a
// loopback port, and checks what the provider saw. With any setting of README.md given, it runs src/main.ts alone.

await runOnSimulatedProvider({
  example: import.meta.dirname,
  ...userSession,
  accessTokenLifetimeMs: 1_000,
  rejectTokenEarlyAfterRefreshes: 2,
})
