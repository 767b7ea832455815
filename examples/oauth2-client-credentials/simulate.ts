import { startLocalProvider } from '@tokenflight/example-oauth2-local-provider'
import {
  anySettingGiven,
  finishRun,
  runAgainstYourProvider,
  runExampleProgram,
} from '@tokenflight/example-support'

// Not part of the example: `pnpm start` runs src/main.ts against a local OAuth server (../oauth2-local-provider) whose
// tokens live 2 s, and checks that the bursts shared one token per expiry. With any setting of README.md given, it
// runs src/main.ts alone.

const settings = [
  'OAUTH2_ISSUER',
  'OAUTH2_TOKEN_ENDPOINT',
  'OAUTH2_CLIENT_ID',
  'OAUTH2_CLIENT_SECRET',
  'OAUTH2_SCOPE',
  'OAUTH2_AUDIENCE',
  'API_URL',
]

if (anySettingGiven(settings)) {
  await runAgainstYourProvider(import.meta.dirname)
} else {
  const provider = await startLocalProvider({ accessTokenTtlMs: 2_000 })
  console.log(
    `Local provider on ${provider.issuer}; access tokens live ${provider.accessTokenTtlMs} ms`,
  )
  try {
    const { exitCode } = await runExampleProgram(import.meta.dirname, {
      env: {
        OAUTH2_TOKEN_ENDPOINT: provider.tokenEndpoint,
        OAUTH2_CLIENT_ID: provider.client.clientId,
        OAUTH2_CLIENT_SECRET: provider.client.clientSecret,
        OAUTH2_SCOPE: 'reports:read',
        API_URL: provider.apiUrl,
      },
    })
    const minted = provider.stats.tokenRequests.client_credentials ?? 0
    const answered = Object.values(provider.stats.apiAnswers).reduce((sum, count) => sum + count, 0)
    finishRun({
      programExitCode: exitCode,
      lines: [`Provider saw:     ${minted} token requests, ${answered} API requests`],
      // Over the run several tokens expire: more than one is minted, and never one per request.
      problems:
        minted < 2 || minted >= answered
          ? [`${minted} tokens for ${answered} requests, expected one per expiry`]
          : [],
      expectation:
        'every request succeeded, with one token per expiry shared by concurrent requests',
    })
  } finally {
    await provider.close()
  }
}
