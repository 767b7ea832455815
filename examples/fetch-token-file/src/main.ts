import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { createTokenRefresher } from '@tokenflight/core'
import { withTokenRefresh } from '@tokenflight/fetch'
import { refreshTokenGrant } from '@tokenflight/oauth2'
import { fileTokenStore } from '@tokenflight/oauth2/node'
import { optionalSetting, readSettings, requiredSetting, SettingError } from './settings.js'

// A script that calls an API with a user's tokens whose refresh tokens are single-use and rotate on every refresh
// (Autodesk APS, Box, Auth0 rotation). Each new refresh token is written to a token file, atomically and readable by
// the owner only, before any request uses it; so the next start carries on with the session instead of asking the
// user to sign in again.

const runMs = 1_800

async function main(): Promise<void> {
  const { grant, apiUrl } = readSettings()
  const tokenFile = resolve(
    optionalSetting('TOKEN_FILE') ??
      join(homedir(), '.config', 'tokenflight-example', 'tokens.json'),
  )
  const store = fileTokenStore(tokenFile)
  // A malformed file throws here, with a message that names the path (never the contents).
  if ((await store.get()) === undefined) {
    console.log(`No session in ${tokenFile}: starting one from OAUTH2_REFRESH_TOKEN`)
    const refreshToken = requiredSetting(
      'OAUTH2_REFRESH_TOKEN',
      'a refresh token from a sign-in with your provider',
    )
    // Only the refresh token is known: an access token that expired long ago makes the first request refresh.
    await store.set({ accessToken: 'none-yet', refreshToken, expiresAt: 0 })
  } else {
    console.log(`Session read from ${tokenFile}`)
  }
  const refresher = createTokenRefresher({
    store,
    refresh: refreshTokenGrant(grant),
    // One line per refresh; no event carries a token.
    onEvent: (event) => {
      if (event.type === 'refresh-succeeded') {
        console.log(`refreshed (${event.reason}) in ${Math.round(event.durationMs)} ms`)
      }
    },
  })
  const apiFetch = withTokenRefresh(fetch, refresher, { origins: [apiUrl.origin] })

  const startedAt = Date.now()
  let requests = 0
  while (Date.now() - startedAt < runMs) {
    const responses = await Promise.all([1, 2, 3, 4].map(() => apiFetch(apiUrl)))
    requests += responses.length
    for (const response of responses) {
      if (!response.ok) throw new Error(`${response.url} answered ${response.status}`)
      await response.json()
    }
    await sleep(100)
  }
  // A refresh that is still running keeps the process alive until its tokens are in the file.
  console.log(`${requests} requests, none failed; the session is kept in ${tokenFile}`)
}

main().catch((error: unknown) => {
  // One line, the error's message and its causes': never a stack trace, nor a property that may hold a token.
  const messages: string[] = []
  for (
    let cause = error;
    cause !== undefined;
    cause = cause instanceof Error ? cause.cause : undefined
  ) {
    messages.push(cause instanceof Error ? cause.message : String(cause))
  }
  console.error(`Failed: ${messages.join(': ')}`)
  process.exitCode = error instanceof SettingError ? 2 : 1
})
