import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileTokenStore } from '@tokenflight/oauth2/node'
import { serveOAuthSimulator } from '@tokenflight/testing/node'

// Runs four copies of src/cli.ts at once on one token file, against a provider on loopback that rotates refresh
// tokens and revokes the session when a used one comes back (RFC 9700), then prints what the provider saw.

const copies = 4
const provider = await serveOAuthSimulator({ reuseDetection: true, accessTokenLifetimeMs: 2_000 })
const directory = await mkdtemp(join(tmpdir(), 'tokenflight-shared-token-file-'))
try {
  const tokenFile = join(directory, 'tokens.json')
  // What a sign-in leaves in the file (see ../oauth2-sign-in-cli for a real one).
  await fileTokenStore(tokenFile).set(provider.simulator.signIn())
  console.log(`${copies} copies of the CLI on ${tokenFile}, access tokens living 2 s`)

  const exitCodes = await Promise.all(
    Array.from({ length: copies }, async () => {
      const copy = spawn(
        process.execPath,
        [...process.execArgv, join(import.meta.dirname, 'cli.ts')],
        {
          env: {
            ...process.env,
            TOKEN_FILE: tokenFile,
            OAUTH2_TOKEN_ENDPOINT: provider.simulator.tokenUrl,
            OAUTH2_CLIENT_ID: 'shared-token-file',
            API_URL: `${provider.simulator.apiUrl}/me`,
          },
          stdio: 'inherit',
        },
      )
      const [code] = (await once(copy, 'close')) as [number | null]
      return code
    }),
  )

  const { refreshCalls, reusedRefreshTokens } = provider.simulator.stats
  console.log(
    `The provider saw ${refreshCalls} refreshes and ${reusedRefreshTokens} refresh tokens used twice`,
  )
  if (exitCodes.some((code) => code !== 0) || reusedRefreshTokens > 0 || refreshCalls === 0) {
    console.error(
      'Unexpected: every copy must succeed, with refreshes and no refresh token used twice',
    )
    process.exitCode = 1
  }
} finally {
  await rm(directory, { recursive: true, force: true })
  await provider.close()
}
