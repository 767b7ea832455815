import { setTimeout as sleep } from 'node:timers/promises'
import { createTokenRefresher } from '@tokenflight/core'
import {
  type LocalProvider,
  localProviderUnlessConfigured,
} from '@tokenflight/example-oauth2-local-provider'
import {
  createRunLog,
  exitWithError,
  optionalSetting,
  requiredSetting,
} from '@tokenflight/example-support'
import { withTokenRefresh } from '@tokenflight/fetch'
import { clientCredentialsGrant } from '@tokenflight/oauth2'

// A backend that calls an API with client credentials tokens: bursts of concurrent requests share one token
// request, and a new token is minted shortly before each expiry. Without OAUTH2_* settings it runs against a local
// provider whose tokens live 2 s.

async function main(): Promise<void> {
  const local = await localProviderUnlessConfigured()
  try {
    const settings = local ? localSettings(local) : realSettings()
    const log = createRunLog()
    const refresher = createTokenRefresher({
      refresh: clientCredentialsGrant(settings.grant),
      onEvent: log.onEvent,
    })

    let requests = 0
    let failures = 0
    if (settings.apiUrl === undefined) {
      console.log(`Got a token: ${(await refresher.getAccessToken()).length} characters`)
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
    await log.settled()

    const minted = Object.values(log.refreshes).reduce((sum, count) => sum + count, 0)
    console.log(`${requests} requests, ${failures} failed; ${minted} tokens minted`)
    // Over the run several tokens expire: more than one must have been minted, and never one per request.
    if (failures > 0 || (local !== undefined && (minted < 2 || minted >= requests))) {
      console.error('Unexpected: every request must succeed, with one token per expiry')
      process.exitCode = 1
    }
  } finally {
    await local?.close()
  }
}

function localSettings(provider: LocalProvider) {
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
  const issuer = optionalSetting('OAUTH2_ISSUER')
  const tokenEndpoint =
    issuer === undefined
      ? requiredSetting(
          'OAUTH2_TOKEN_ENDPOINT',
          'your provider’s token endpoint URL (or set OAUTH2_ISSUER to discover it)',
        )
      : optionalSetting('OAUTH2_TOKEN_ENDPOINT')
  const scope = optionalSetting('OAUTH2_SCOPE')
  const audience = optionalSetting('OAUTH2_AUDIENCE')
  return {
    grant: {
      clientId: requiredSetting('OAUTH2_CLIENT_ID', 'your client id'),
      clientSecret: requiredSetting('OAUTH2_CLIENT_SECRET', 'your client secret'),
      ...(issuer === undefined ? {} : { issuer }),
      ...(tokenEndpoint === undefined ? {} : { tokenEndpoint }),
      ...(scope === undefined ? {} : { scope }),
      ...(audience === undefined ? {} : { extraParameters: { audience } }),
    },
    apiUrl: optionalSetting('API_URL'),
    bursts: 3,
    burstSize: 4,
    intervalMs: 1_000,
  }
}

main().catch(exitWithError)
