import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startLocalProvider } from '@tokenflight/example-oauth2-local-provider'
import {
  anySettingGiven,
  finishRun,
  runAgainstYourProvider,
  runExampleProgram,
} from '@tokenflight/example-support'

// Not part of the example: `pnpm start` runs src/main.ts against a local OAuth server (../oauth2-local-provider) whose
// JWT bearer endpoint verifies each assertion and whose tokens live 2 s, for five users, and checks that each of the
// ten sessions minted more than once over the run and at most once a round. With any setting of README.md given, it
// runs src/main.ts alone.

const settings = [
  'OAUTH2_TOKEN_ENDPOINT',
  'OAUTH2_CLIENT_ID',
  'OAUTH2_ASSERTION_KEY_FILE',
  'OAUTH2_ASSERTION_KEY_ID',
  'OAUTH2_ASSERTION_AUDIENCE',
  'OAUTH2_USERS',
  'API_URL',
]
const users = ['alice', 'bob', 'carol', 'dave', 'erin']
const sessions = users.length * 2
const rounds = 8

if (anySettingGiven(settings)) {
  await runAgainstYourProvider(import.meta.dirname)
} else {
  const provider = await startLocalProvider({ accessTokenTtlMs: 2_000 })
  const keyFolder = await mkdtemp(join(tmpdir(), 'tokenflight-many-users-'))
  console.log(
    `Local provider on ${provider.issuer}; access tokens live ${provider.accessTokenTtlMs} ms`,
  )
  try {
    const { clientId, keyId, privateKeyPem } = provider.serviceAccount
    const keyFile = join(keyFolder, 'service-account.pem')
    await writeFile(keyFile, privateKeyPem, { mode: 0o600 })
    const { exitCode } = await runExampleProgram(import.meta.dirname, {
      env: {
        OAUTH2_TOKEN_ENDPOINT: provider.jwtBearerTokenEndpoint,
        OAUTH2_CLIENT_ID: clientId,
        OAUTH2_ASSERTION_KEY_FILE: keyFile,
        OAUTH2_ASSERTION_KEY_ID: keyId,
        OAUTH2_USERS: users.join(','),
        API_URL: provider.apiUrl,
      },
    })
    const minted = provider.stats.tokenRequests['urn:ietf:params:oauth:grant-type:jwt-bearer'] ?? 0
    // Each session gets two concurrent requests a round: they share one token request, so a session mints at most
    // once a round, and more than once over the run, as its tokens expire.
    finishRun({
      programExitCode: exitCode,
      lines: [`Provider saw:     ${minted} assertions exchanged for ${sessions} sessions`],
      problems:
        minted < sessions * 2 || minted > sessions * rounds
          ? [`${minted} tokens, expected ${sessions * 2} to ${sessions * rounds}`]
          : [],
      expectation:
        'every request succeeded with its own user’s token, one token request per session and expiry',
    })
  } finally {
    await provider.close()
    await rm(keyFolder, { recursive: true, force: true })
  }
}
