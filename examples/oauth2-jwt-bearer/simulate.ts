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
// JWT bearer endpoint verifies each assertion and whose tokens live 2 s, and checks that a fresh assertion was
// exchanged per expiry. With any setting of README.md given, it runs src/main.ts alone.

const settings = [
  'OAUTH2_ISSUER',
  'OAUTH2_TOKEN_ENDPOINT',
  'OAUTH2_CLIENT_ID',
  'OAUTH2_ASSERTION_KEY_FILE',
  'OAUTH2_ASSERTION_SECRET',
  'OAUTH2_ASSERTION_KEY_ID',
  'OAUTH2_ASSERTION_ISSUER',
  'OAUTH2_ASSERTION_SUBJECT',
  'OAUTH2_ASSERTION_AUDIENCE',
  'OAUTH2_SCOPE',
  'API_URL',
]

if (anySettingGiven(settings)) {
  await runAgainstYourProvider(import.meta.dirname)
} else {
  const provider = await startLocalProvider({ accessTokenTtlMs: 2_000 })
  const keyFolder = await mkdtemp(join(tmpdir(), 'tokenflight-jwt-bearer-'))
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
        OAUTH2_ASSERTION_SUBJECT: 'nightly-reports',
        API_URL: provider.apiUrl,
      },
    })
    const exchanged =
      provider.stats.tokenRequests['urn:ietf:params:oauth:grant-type:jwt-bearer'] ?? 0
    const rejected = provider.stats.apiAnswers[401] ?? 0
    finishRun({
      programExitCode: exitCode,
      lines: [
        `Provider saw:     ${exchanged} assertions exchanged, ${rejected} API requests rejected`,
      ],
      // The run outlasts a token: at least two assertions, and none rejected by the API.
      problems: [
        ...(exchanged < 2 ? [`${exchanged} assertions exchanged, expected one per expiry`] : []),
        ...(rejected > 0 ? [`${rejected} requests were sent with an expired token`] : []),
      ],
      expectation: 'every request succeeded, with a freshly signed assertion per expiry',
    })
  } finally {
    await provider.close()
    await rm(keyFolder, { recursive: true, force: true })
  }
}
