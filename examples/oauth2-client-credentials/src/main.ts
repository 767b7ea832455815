import { setTimeout as sleep } from 'node:timers/promises'
import { createTokenRefresher } from '@tokenflight/core'
import {
  explain,
  localProviderUnlessConfigured,
  requiredSetting,
} from '@tokenflight/example-oauth2-local-provider/settings'
import { withTokenRefresh } from '@tokenflight/fetch'
import { clientCredentialsGrant } from '@tokenflight/oauth2'

// A backend that calls an API with client credentials tokens: bursts of concurrent requests share one token
// request, and a new token is minted shortly before each expiry. Without OAUTH2_* settings it runs against a local
// provider whose tokens live 2 s.

const local = await localProviderUnlessConfigured()
const settings = local ? localSettings() : realSettings()

let minted = 0
let stopping = false
const refresher = createTokenRefresher({
  refresh: clientCredentialsGrant(settings.grant),
  onEvent: (event) => {
    // A background refresh may still be running when the program stops; its outcome no longer matters.
    if (stopping) return
    if (event.type === 'refresh-succeeded' && !event.superseded) {
      minted++
      const lifetime =
        event.expiresAt === undefined ? 'unknown' : `${event.expiresAt - Date.now()} ms`
      console.log(`Token #${minted} minted (${event.reason}), expires in ${lifetime}`)
    } else if (event.type === 'refresh-failed') {
      console.log(`Token request failed (${event.reason}): ${explain(event.error)}`)
    }
  },
})

let requests = 0
let failures = 0
try {
  if (settings.apiUrl === undefined) {
    await refresher.getAccessToken()
  } else {
    const api = withTokenRefresh(fetch, refresher)
    for (let burst = 1; burst <= settings.bursts; burst++) {
      const statuses = await Promise.all(
        Array.from({ length: settings.burstSize }, async () => {
          const response = await api(settings.apiUrl as string)
          await response.body?.cancel()
          return response.status
        }),
      )
      requests += statuses.length
      failures += statuses.filter((status) => status !== 200).length
      console.log(
        `Burst ${burst}: ${statuses.length} concurrent requests -> ${statuses.join(', ')}`,
      )
      if (burst < settings.bursts) await sleep(settings.intervalMs)
    }
  }
  console.log(`${requests} requests, ${failures} failed; ${minted} tokens minted`)
  // Over the run, several tokens expire: more than one must have been minted, and never one per request.
  const expected = local === undefined || (minted >= 2 && minted < requests)
  if (failures > 0 || !expected) process.exitCode = 1
} catch (error) {
  console.error(`Failed: ${explain(error)}`)
  process.exitCode = 1
} finally {
  stopping = true
  await local?.close()
}

function localSettings() {
  const provider = local as NonNullable<typeof local>
  console.log(
    `Local provider on ${provider.issuer}; access tokens live ${provider.accessTokenTtlMs} ms`,
  )
  return {
    grant: { tokenEndpoint: provider.tokenEndpoint, ...provider.client, scope: 'reports:read' },
    apiUrl: provider.apiUrl as string | undefined,
    bursts: 6,
    burstSize: 4,
    intervalMs: 450,
  }
}

function realSettings() {
  const issuer = process.env.OAUTH2_ISSUER
  const tokenEndpoint = process.env.OAUTH2_TOKEN_ENDPOINT
  if (issuer === undefined && tokenEndpoint === undefined) {
    requiredSetting(
      'OAUTH2_TOKEN_ENDPOINT',
      'your provider’s token endpoint URL (or set OAUTH2_ISSUER to discover it)',
    )
  }
  const clientId = requiredSetting('OAUTH2_CLIENT_ID', 'your client id')
  const clientSecret = requiredSetting('OAUTH2_CLIENT_SECRET', 'your client secret')
  const scope = process.env.OAUTH2_SCOPE
  const audience = process.env.OAUTH2_AUDIENCE
  return {
    grant: {
      clientId,
      clientSecret,
      ...(issuer === undefined ? {} : { issuer }),
      ...(tokenEndpoint === undefined ? {} : { tokenEndpoint }),
      ...(scope === undefined ? {} : { scope }),
      ...(audience === undefined ? {} : { extraParameters: { audience } }),
    },
    apiUrl: process.env.API_URL,
    bursts: 3,
    burstSize: 4,
    intervalMs: 1_000,
  }
}
