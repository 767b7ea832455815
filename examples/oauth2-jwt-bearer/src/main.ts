import { readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { createTokenRefresher } from '@tokenflight/core'
import {
  explain,
  localProviderUnlessConfigured,
  requiredSetting,
} from '@tokenflight/example-oauth2-local-provider/settings'
import { withTokenRefresh } from '@tokenflight/fetch'
import { type JwtBearerGrantOptions, jwtBearerGrant } from '@tokenflight/oauth2'

// A service account that signs a JWT (RS256, with `kid`; or HS256) and exchanges it for an access token (RFC 7523)
// whenever the current one is about to expire. Without OAUTH2_* settings it runs against a local provider whose
// tokens live 2 s and which verifies each assertion.

const local = await localProviderUnlessConfigured()
const settings = local ? localSettings() : realSettings()

let exchanged = 0
let stopping = false
const refresher = createTokenRefresher({
  refresh: jwtBearerGrant(settings.grant),
  onEvent: (event) => {
    // A background refresh may still be running when the program stops; its outcome no longer matters.
    if (stopping) return
    if (event.type === 'refresh-succeeded' && !event.superseded) {
      exchanged++
      const lifetime =
        event.expiresAt === undefined ? 'unknown' : `${event.expiresAt - Date.now()} ms`
      console.log(
        `Assertion #${exchanged} signed and exchanged (${event.reason}): token expires in ${lifetime}`,
      )
    } else if (event.type === 'refresh-failed') {
      console.log(`Exchange failed (${event.reason}): ${explain(event.error)}`)
    }
  },
  onSessionExpired: () =>
    console.log('The provider rejected the assertion: check the key and its id'),
})

let failures = 0
try {
  if (settings.apiUrl === undefined) {
    await refresher.getAccessToken()
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
  console.log(`${failures} failed requests; ${exchanged} assertions exchanged`)
  if (failures > 0 || (local !== undefined && exchanged < 2)) process.exitCode = 1
} catch (error) {
  console.error(`Failed: ${explain(error)}`)
  process.exitCode = 1
} finally {
  stopping = true
  await local?.close()
}

function localSettings() {
  const provider = local as NonNullable<typeof local>
  const { clientId, keyId, privateKeyPem } = provider.serviceAccount
  console.log(
    `Local provider on ${provider.issuer}; access tokens live ${provider.accessTokenTtlMs} ms`,
  )
  const grant: JwtBearerGrantOptions = {
    tokenEndpoint: provider.jwtBearerTokenEndpoint,
    clientId,
    assertion: { algorithm: 'RS256', key: privateKeyPem, keyId, subject: 'nightly-reports' },
  }
  return { grant, apiUrl: provider.apiUrl as string | undefined, calls: 6, intervalMs: 450 }
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
  const keyFile = process.env.OAUTH2_ASSERTION_KEY_FILE
  const secret = process.env.OAUTH2_ASSERTION_SECRET
  if (keyFile === undefined && secret === undefined) {
    requiredSetting(
      'OAUTH2_ASSERTION_KEY_FILE',
      'a PKCS #8 PEM file with the RS256 private key (or set OAUTH2_ASSERTION_SECRET for HS256)',
    )
  }
  const clientId = process.env.OAUTH2_CLIENT_ID
  const assertionIssuer = process.env.OAUTH2_ASSERTION_ISSUER
  if (clientId === undefined && assertionIssuer === undefined) {
    requiredSetting(
      'OAUTH2_CLIENT_ID',
      'your client id (or set OAUTH2_ASSERTION_ISSUER for a grant without client authentication)',
    )
  }
  const optional = (name: string, key: string) =>
    process.env[name] === undefined ? {} : { [key]: process.env[name] }
  const grant: JwtBearerGrantOptions = {
    ...(issuer === undefined ? {} : { issuer }),
    ...(tokenEndpoint === undefined ? {} : { tokenEndpoint }),
    ...(clientId === undefined ? {} : { clientId }),
    ...optional('OAUTH2_SCOPE', 'scope'),
    assertion: {
      ...(keyFile === undefined
        ? { algorithm: 'HS256' as const, key: secret as string }
        : { algorithm: 'RS256' as const, key: readFileSync(keyFile, 'utf8') }),
      ...optional('OAUTH2_ASSERTION_KEY_ID', 'keyId'),
      ...optional('OAUTH2_ASSERTION_ISSUER', 'issuer'),
      ...optional('OAUTH2_ASSERTION_SUBJECT', 'subject'),
      ...optional('OAUTH2_ASSERTION_AUDIENCE', 'audience'),
    },
  }
  return { grant, apiUrl: process.env.API_URL, calls: 3, intervalMs: 1_000 }
}
