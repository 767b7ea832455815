import { setTimeout as sleep } from 'node:timers/promises'
import { createTokenRefresher } from '@tokenflight/core'
import { withTokenRefresh } from '@tokenflight/fetch'
import { jwtBearerGrant } from '@tokenflight/oauth2'
import { optionalSetting, readGrantSettings, SettingError } from './settings.js'

// A service account that signs a JWT (RS256 with `kid`, or HS256) and exchanges it for an access token (RFC 7523)
// whenever the current one is about to expire.

const calls = 6
const intervalMs = 450

async function main(): Promise<void> {
  const grant = readGrantSettings()
  const apiUrl = optionalSetting('API_URL')
  const refresher = createTokenRefresher({
    refresh: jwtBearerGrant(grant),
    // One line per assertion exchanged; no event carries a token.
    onEvent: (event) => {
      if (event.type === 'refresh-succeeded') {
        console.log(`assertion exchanged (${event.reason}) in ${Math.round(event.durationMs)} ms`)
      }
    },
  })

  if (apiUrl === undefined) {
    console.log(`Got a token: ${(await refresher.getAccessToken()).length} characters`)
    return
  }
  const api = withTokenRefresh(fetch, refresher)
  let failures = 0
  for (let call = 1; call <= calls; call++) {
    const response = await api(apiUrl)
    const body = response.ok ? JSON.stringify(await response.json()) : response.statusText
    console.log(`GET ${apiUrl} -> ${response.status} ${body}`)
    if (!response.ok) failures++
    if (call < calls) await sleep(intervalMs)
  }
  console.log(`${calls} requests, ${failures} failed`)
  if (failures > 0) process.exitCode = 1
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
