import { readFileSync } from 'node:fs'
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
import { type JwtBearerAssertionOptions, jwtBearerGrant } from '@tokenflight/oauth2'

// A service account that signs a JWT (RS256 with `kid`, or HS256) and exchanges it for an access token (RFC 7523)
// whenever the current one is about to expire. Without OAUTH2_* settings it runs against a local provider whose
// tokens live 2 s and which verifies each assertion.

async function main(): Promise<void> {
  const local = await localProviderUnlessConfigured()
  try {
    const settings = local ? localSettings(local) : realSettings()
    const log = createRunLog()
    const refresher = createTokenRefresher({
      refresh: jwtBearerGrant(settings.grant),
      onEvent: log.onEvent,
    })

    let failures = 0
    if (settings.apiUrl === undefined) {
      console.log(`Got a token: ${(await refresher.getAccessToken()).length} characters`)
    } else {
      const api = withTokenRefresh(fetch, refresher)
      for (let call = 1; call <= settings.calls; call++) {
        const response = await api(settings.apiUrl)
        const body = response.ok ? JSON.stringify(await response.json()) : response.statusText
        console.log(`GET ${settings.apiUrl} -> ${response.status} ${body}`)
        if (!response.ok) failures++
        if (call < settings.calls) await sleep(settings.intervalMs)
      }
    }
    await log.settled()

    const exchanged = Object.values(log.refreshes).reduce((sum, count) => sum + count, 0)
    console.log(`${failures} failed requests; ${exchanged} assertions signed and exchanged`)
    if (failures > 0 || (local !== undefined && exchanged < 2)) {
      console.error('Unexpected: every request must succeed, with a new assertion per expiry')
      process.exitCode = 1
    }
  } finally {
    await local?.close()
  }
}

function localSettings(provider: LocalProvider) {
  const { clientId, keyId, privateKeyPem } = provider.serviceAccount
  console.log(
    `Local provider on ${provider.issuer}; access tokens live ${provider.accessTokenTtlMs} ms`,
  )
  return {
    grant: {
      tokenEndpoint: provider.jwtBearerTokenEndpoint,
      clientId,
      assertion: {
        algorithm: 'RS256',
        key: privateKeyPem,
        keyId,
        subject: 'nightly-reports',
      } satisfies JwtBearerAssertionOptions,
    },
    apiUrl: provider.apiUrl as string | undefined,
    calls: 6,
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
  const secret = optionalSetting('OAUTH2_ASSERTION_SECRET')
  const key: Pick<JwtBearerAssertionOptions, 'algorithm' | 'key'> =
    secret === undefined
      ? {
          algorithm: 'RS256',
          key: readFileSync(
            requiredSetting(
              'OAUTH2_ASSERTION_KEY_FILE',
              'a PKCS #8 PEM file with the RS256 private key (or set OAUTH2_ASSERTION_SECRET for HS256)',
            ),
            'utf8',
          ),
        }
      : { algorithm: 'HS256', key: secret }
  const assertionIssuer = optionalSetting('OAUTH2_ASSERTION_ISSUER')
  const clientId =
    assertionIssuer === undefined
      ? requiredSetting(
          'OAUTH2_CLIENT_ID',
          'your client id (or set OAUTH2_ASSERTION_ISSUER for a grant without client authentication)',
        )
      : optionalSetting('OAUTH2_CLIENT_ID')
  const settings = {
    OAUTH2_ASSERTION_KEY_ID: 'keyId',
    OAUTH2_ASSERTION_ISSUER: 'issuer',
    OAUTH2_ASSERTION_SUBJECT: 'subject',
    OAUTH2_ASSERTION_AUDIENCE: 'audience',
  } as const
  const assertion: JwtBearerAssertionOptions = { ...key }
  for (const [name, option] of Object.entries(settings)) {
    const value = optionalSetting(name)
    if (value !== undefined) assertion[option] = value
  }
  const scope = optionalSetting('OAUTH2_SCOPE')
  return {
    grant: {
      ...(issuer === undefined ? {} : { issuer }),
      ...(tokenEndpoint === undefined ? {} : { tokenEndpoint }),
      ...(clientId === undefined ? {} : { clientId }),
      ...(scope === undefined ? {} : { scope }),
      assertion,
    },
    apiUrl: optionalSetting('API_URL'),
    calls: 3,
    intervalMs: 1_000,
  }
}

main().catch(exitWithError)
