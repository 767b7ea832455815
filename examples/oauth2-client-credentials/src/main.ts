import { setTimeout as sleep } from 'node:timers/promises'
import { createTokenRefresher } from '@tokenflight/core'
import { withTokenRefresh } from '@tokenflight/fetch'
import { clientCredentialsGrant } from '@tokenflight/oauth2'
import { optionalSetting, readGrantSettings, SettingError } from './settings.js'

// A backend that calls an API with client credentials tokens: bursts of concurrent requests share one token
// request, and a new token is minted shortly before each expiry.

const bursts = 6
const burstSize = 4
const intervalMs = 450

async function main(): Promise<void> {
  const grant = readGrantSettings()
  const apiUrl = optionalSetting('API_URL')
  const refresher = createTokenRefresher({
    refresh: clientCredentialsGrant(grant),
    // One line per token minted; no event carries a token.
    onEvent: (event) => {
      if (event.type === 'refresh-succeeded') {
        console.log(`token minted (${event.reason}) in ${Math.round(event.durationMs)} ms`)
      }
    },
  })

  if (apiUrl === undefined) {
    console.log(`Got a token: ${(await refresher.getAccessToken()).length} characters`)
    return
  }
  const api = withTokenRefresh(fetch, refresher)
  let failures = 0
  for (let burst = 1; burst <= bursts; burst++) {
    const statuses = await Promise.all(
      Array.from({ length: burstSize }, async () => {
        const response = await api(apiUrl)
        await response.body?.cancel()
        return response.status
      }),
    )
    failures += statuses.filter((status) => status !== 200).length
    console.log(`Burst ${burst}: ${statuses.length} concurrent requests -> ${statuses.join(', ')}`)
    if (burst < bursts) await sleep(intervalMs)
  }
  console.log(`${bursts * burstSize} requests, ${failures} failed`)
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
