import { setTimeout as sleep } from 'node:timers/promises'
import { createTokenRefresher } from '@tokenflight/core'
import { tokenRefreshHooks } from '@tokenflight/ky'
import { refreshTokenGrant } from '@tokenflight/oauth2'
import ky from 'ky'
import { readSettings, requiredSetting, SettingError } from './settings.js'

// An app on ky whose user stays signed in far longer than an access token lives. Every 100 ms it reads a resource
// and saves a draft at once; tokenflight refreshes each token once, before it expires, and when the provider rejects
// a token early it answers the 401 with one refresh and replays the request, JSON body included. No request fails.

const runMs = 3_500

async function main(): Promise<void> {
  const { grant, apiUrl } = readSettings()
  const refreshToken = requiredSetting(
    'OAUTH2_REFRESH_TOKEN',
    'a refresh token from a sign-in with your provider',
  )
  const refresher = createTokenRefresher({
    // Only the refresh token of a sign-in is known: an access token that expired long ago makes the first request
    // refresh. An app that saved the whole token set passes that instead.
    initialTokens: { accessToken: 'none-yet', refreshToken, expiresAt: 0 },
    refresh: refreshTokenGrant(grant),
    // One line per refresh; no event carries a token.
    onEvent: (event) => {
      if (event.type === 'refresh-succeeded') {
        console.log(`refreshed (${event.reason}) in ${Math.round(event.durationMs)} ms`)
      }
    },
  })

  const api = ky.create({ hooks: tokenRefreshHooks(refresher, { origins: [apiUrl.origin] }) })

  const startedAt = Date.now()
  let requests = 0
  for (let draft = 1; Date.now() - startedAt < runMs; draft++) {
    // A failed request rejects here (ky throws HTTPError for a status that is not 2xx) and ends the run.
    await Promise.all([
      api.get(apiUrl).json(),
      api.post(apiUrl, { json: { draft, text: 'Meeting notes' } }).json(),
    ])
    requests += 2
    await sleep(100)
  }
  console.log(`${requests} requests, none failed`)
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
