import { readFile, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { startLocalProvider } from '@tokenflight/example-oauth2-local-provider'
import {
  anySettingGiven,
  finishRun,
  runAgainstYourProvider,
  runExampleProgram,
} from '@tokenflight/example-support'

// Not part of the example: `pnpm start` runs src/main.ts against a local OAuth server (../oauth2-local-provider) whose
// tokens live 2 s, stands in for the browser (the local server approves a sign-in at once), and checks that the token
// file holds the rotated tokens, readable by the owner only. The file stays where it is, so a second `pnpm start`
// signs in no more. With any setting of README.md given, it runs src/main.ts alone.

const settings = [
  'OAUTH2_ISSUER',
  'OAUTH2_AUTHORIZATION_ENDPOINT',
  'OAUTH2_TOKEN_ENDPOINT',
  'OAUTH2_CLIENT_ID',
  'OAUTH2_CLIENT_SECRET',
  'OAUTH2_SCOPE',
  'OAUTH2_REDIRECT_PORT',
  'API_URL',
]
const authorizationUrl = /http:\/\/127\.0\.0\.1:\d+\/authorize\?\S+/

if (anySettingGiven(settings)) {
  await runAgainstYourProvider(import.meta.dirname)
} else {
  const tokenFile = resolve(
    process.env.TOKEN_FILE || join(tmpdir(), 'tokenflight-sign-in-cli', 'tokens.json'),
  )
  const savedBefore = await savedRefreshToken(tokenFile)
  const provider = await startLocalProvider({ accessTokenTtlMs: 2_000 })
  console.log(
    `Local provider on ${provider.issuer}; access tokens live ${provider.accessTokenTtlMs} ms`,
  )
  try {
    let stderr = ''
    let signedIn: Promise<unknown> | undefined
    const { exitCode } = await runExampleProgram(import.meta.dirname, {
      // No desktop browser: this script is the browser.
      env: {
        OAUTH2_ISSUER: provider.issuer,
        OAUTH2_CLIENT_ID: 'sign-in-cli',
        API_URL: provider.apiUrl,
        TOKEN_FILE: tokenFile,
        DISPLAY: '',
        WAYLAND_DISPLAY: '',
      },
      onStderr: (text) => {
        stderr += text
        const url = authorizationUrl.exec(stderr)?.[0]
        if (url === undefined || signedIn !== undefined) return
        console.log('(stand-in browser: the local provider approves the sign-in at once)')
        // Following the provider's redirect to the program's loopback callback is the whole sign-in.
        signedIn = fetch(url).then((response) => response.body?.cancel())
      },
    })
    await signedIn
    const savedAfter = await savedRefreshToken(tokenFile)
    const mode = await stat(tokenFile).then(
      (file) => (file.mode & 0o777).toString(8),
      () => 'missing',
    )
    const { tokenRequests } = provider.stats
    const problems: string[] = []
    if (mode !== '600') problems.push(`the token file's mode is ${mode}, expected 600`)
    if (savedAfter === undefined || savedAfter === savedBefore) {
      problems.push('the token file does not hold a new refresh token')
    }
    finishRun({
      programExitCode: exitCode,
      lines: [
        `Provider saw:     ${tokenRequests.authorization_code ?? 0} sign-ins, ${tokenRequests.refresh_token ?? 0} refreshes`,
        `Tokens saved:     ${tokenFile} (mode ${mode}), with a new refresh token`,
      ],
      problems,
      expectation: 'every call succeeded, and the rotated tokens were saved',
    })
  } finally {
    await provider.close()
  }
}

async function savedRefreshToken(file: string): Promise<string | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')).refreshToken
  } catch {
    return undefined
  }
}
