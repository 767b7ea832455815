import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { createTokenRefresher } from '@tokenflight/core'
import {
  explain,
  localProviderUnlessConfigured,
  requiredSetting,
} from '@tokenflight/example-oauth2-local-provider/settings'
import { withTokenRefresh } from '@tokenflight/fetch'
import { refreshTokenGrant } from '@tokenflight/oauth2'
import { fileTokenStore, signInWithLoopback } from '@tokenflight/oauth2/node'

// A command-line program that signs its user in once (authorization code + PKCE on a loopback redirect), keeps the
// tokens in a file, and from then on refreshes them, across restarts, for as long as the refresh token lives.
// Without OAUTH2_* settings it runs against a local provider whose tokens live 2 s.

const tokenFile = process.env.TOKEN_FILE ?? join(tmpdir(), 'tokenflight-sign-in-cli', 'tokens.json')
const local = await localProviderUnlessConfigured()
const settings = local ? localSettings() : realSettings()

const store = fileTokenStore(tokenFile)
let refreshes = 0
let stopping = false
const refresher = createTokenRefresher({
  store,
  refresh: refreshTokenGrant(settings.grant),
  onEvent: (event) => {
    // A background refresh may still be running when the program stops; its outcome no longer matters.
    if (stopping) return
    if (event.type === 'refresh-succeeded' && !event.superseded) {
      refreshes++
      const rotated = event.refreshTokenRotated ? 'a new refresh token' : 'the same refresh token'
      console.log(
        `Refreshed (${event.reason}): new access token and ${rotated}, saved to ${tokenFile}`,
      )
    } else if (event.type === 'refresh-failed') {
      console.log(`Refresh failed (${event.reason}): ${explain(event.error)}`)
    }
  },
  onSessionExpired: () => console.log('Session expired: run the program again to sign in'),
})

try {
  if ((await store.get()) === undefined) {
    console.log(`No tokens in ${tokenFile}: signing in`)
    if (local) console.log('(local provider: a stand-in browser approves the sign-in)')
    await refresher.setTokens(await signInWithLoopback(settings.signIn))
    console.log(`Signed in; tokens saved to ${tokenFile}`)
  } else {
    console.log(`Using the tokens saved in ${tokenFile}: no sign-in needed`)
  }

  const api = withTokenRefresh(fetch, refresher)
  let failures = 0
  if (settings.apiUrl === undefined) {
    await refresher.refresh()
  } else {
    for (let call = 1; call <= settings.calls; call++) {
      const response = await api(settings.apiUrl)
      await response.body?.cancel()
      console.log(`GET ${settings.apiUrl} -> ${response.status}`)
      if (!response.ok) failures++
      if (call < settings.calls) await sleep(settings.intervalMs)
    }
  }

  const saved = await store.get()
  const latest = saved?.refreshToken === refresher.getTokens()?.refreshToken
  console.log(
    `${refreshes} refreshes, ${failures} failed requests; the token file holds the latest tokens: ${latest ? 'yes' : 'no'}`,
  )
  if (failures > 0 || !latest || (local !== undefined && refreshes === 0)) process.exitCode = 1
} catch (error) {
  console.error(`Failed: ${explain(error)}`)
  process.exitCode = 1
} finally {
  stopping = true
  await local?.close()
}

function localSettings() {
  const provider = local as NonNullable<typeof local>
  const client = { issuer: provider.issuer, clientId: 'sign-in-cli' }
  return {
    grant: client,
    signIn: {
      ...client,
      scope: 'openid offline_access',
      // The local provider approves at once, so following its redirect to the callback is the whole sign-in.
      openBrowser: (url: string) => fetch(url),
    },
    apiUrl: provider.apiUrl,
    calls: 6,
    intervalMs: 450,
  }
}

function realSettings() {
  const issuer = process.env.OAUTH2_ISSUER
  const authorizationEndpoint = process.env.OAUTH2_AUTHORIZATION_ENDPOINT
  const tokenEndpoint = process.env.OAUTH2_TOKEN_ENDPOINT
  if (
    issuer === undefined &&
    (authorizationEndpoint === undefined || tokenEndpoint === undefined)
  ) {
    requiredSetting(
      'OAUTH2_ISSUER',
      'your provider’s issuer URL (or set OAUTH2_AUTHORIZATION_ENDPOINT and OAUTH2_TOKEN_ENDPOINT)',
    )
  }
  const clientId = requiredSetting('OAUTH2_CLIENT_ID', 'the client id registered for this program')
  const clientSecret = process.env.OAUTH2_CLIENT_SECRET
  const client = {
    clientId,
    ...(issuer === undefined ? {} : { issuer }),
    ...(tokenEndpoint === undefined ? {} : { tokenEndpoint }),
    ...(clientSecret === undefined ? {} : { clientSecret }),
  }
  const port = process.env.OAUTH2_REDIRECT_PORT
  return {
    grant: client,
    signIn: {
      ...client,
      ...(authorizationEndpoint === undefined ? {} : { authorizationEndpoint }),
      scope: process.env.OAUTH2_SCOPE ?? 'openid offline_access',
      ...(port === undefined ? {} : { port: Number(port) }),
    },
    apiUrl: process.env.API_URL,
    calls: 3,
    intervalMs: 1_000,
  }
}
