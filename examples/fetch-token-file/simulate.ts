import { mkdtempSync } from 'node:fs'
import { stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { runOnSimulatedProvider, userSession } from '@tokenflight/example-support'

// Not part of the example: `pnpm start` runs src/main.ts twice against the simulated provider of @tokenflight/testing,
// on a loopback port, with the session in a new temporary file (or TOKEN_FILE), and checks that the second run carried
// on with the first one's session. With any provider setting of README.md given, it runs src/main.ts once, alone.

const tokenFile = resolve(
  process.env.TOKEN_FILE ||
    join(mkdtempSync(join(tmpdir(), 'tokenflight-example-')), 'tokens.json'),
)

await runOnSimulatedProvider({
  example: import.meta.dirname,
  realProviderSettings: userSession.realProviderSettings,
  settings: (server) => ({ ...userSession.settings(server), TOKEN_FILE: tokenFile }),
  accessTokenLifetimeMs: 1_000,
  rejectTokenEarlyAfterRefreshes: 4,
  runs: 2,
  notes: async () => {
    const mode = await stat(tokenFile).then(
      (file) => (file.mode & 0o777).toString(8),
      () => 'missing',
    )
    return [`Tokens saved:     ${tokenFile} (mode ${mode}), after every refresh`]
  },
})
