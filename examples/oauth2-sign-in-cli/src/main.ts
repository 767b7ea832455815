import { tmpdir } from 'node:os'
import { join } from 'node:path'
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
import { refreshTokenGrant } from '@tokenflight/oauth2'
import { fileTokenStore, signInWithLoopback } from '@tokenflight/oauth2/node'

// A command-line program that signs its user in once (authorization code + PKCE on a loopback redirect), keeps the
// tokens in a file, and from then on refreshes them, across restarts, for as long as the refresh token lives.
// Without OAUTH2_* settings it runs against a local provider whose tokens live 2 s.

async function main(): Promise<void> {
  const local = await localProviderUnlessConfigured()
  try {
    const settings = local ? localSettings(local) : realSettings()
    const tokenFile =
      optionalSetting('TOKEN_FILE') ?? join(tmpdir(), 'tokenflight-sign-in-cli', 'tokens.json')
    const store = fileTokenStore(tokenFile)
    const log = createRunLog()
    const refresher = createTokenRefresher({
      store,
      refresh: refreshTokenGrant(settings.grant),
      onEvent: log.onEvent,
    })

    // A corrupt or unreadable file stops the program here, naming the file, instead of being signed over.
    if ((await store.get()) === undefined) {
      console.log(`No tokens in ${tokenFile}: signing in`)
      if (local) console.log('(local provider: a stand-in browser approves the sign-in)')
      await refresher.setTokens(await signInWithLoopback(settings.signIn))
      console.log(`Signed in; tokens saved to ${tokenFile}`)
    } else {
      console.log(`Using the tokens saved in ${tokenFile}: no sign-in needed`)
    }

    let failures = 0
    if (settings.apiUrl === undefined) {
      await refresher.refresh()
    } else {
      const api = withTokenRefresh(fetch, refresher)
      for (let call = 1; call <= settings.calls; call++) {
        const response = await api(settings.apiUrl)
        await response.body?.cancel()
        console.log(`GET ${settings.apiUrl} -> ${response.status}`)
        if (!response.ok) failures++
        if (call < settings.calls) await sleep(settings.intervalMs)
      }
    }
    // A refresh the last call started finishes, and saves its tokens, before the program reports and stops.
    await log.settled()

    const refreshes = Object.values(log.refreshes).reduce((sum, count) => sum + count, 0)
    const latest = (await store.get())?.refreshToken === refresher.getTokens()?.refreshToken
    console.log(
      `${refreshes} refreshes, ${failures} failed requests; ${tokenFile} holds the latest tokens: ${latest ? 'yes' : 'no'}`,
    )
    if (failures > 0 || !latest || (local !== undefined && refreshes === 0)) {
      console.error('Unexpected: every call must succeed, and tokens must be refreshed and saved')
      process.exitCode = 1
    }
  } finally {
    await local?.close()
  }
}

function localSettings(provider: LocalProvider) {
  const client = { issuer: provider.issuer, clientId: 'sign-in-cli' }
  return {
    grant: client,
    signIn: {
      ...client,
      scope: 'openid offline_access',
      // The local provider approves at once, so following its redirect to the callback is the whole sign-in.
      openBrowser: (url: string) => fetch(url),
    },
    apiUrl: provider.apiUrl as string | undefined,
    calls: 6,
    intervalMs: 450,
  }
}

function realSettings() {
  const issuer = optionalSetting('OAUTH2_ISSUER')
  const tokenEndpoint = optionalSetting('OAUTH2_TOKEN_ENDPOINT')
  const authorizationEndpoint =
    issuer === undefined
      ? requiredSetting(
          'OAUTH2_AUTHORIZATION_ENDPOINT',
          'your provider’s authorization endpoint (with OAUTH2_TOKEN_ENDPOINT), or set OAUTH2_ISSUER',
        )
      : optionalSetting('OAUTH2_AUTHORIZATION_ENDPOINT')
  const clientSecret = optionalSetting('OAUTH2_CLIENT_SECRET')
  const client = {
    clientId: requiredSetting('OAUTH2_CLIENT_ID', 'the client id registered for this program'),
    ...(issuer === undefined ? {} : { issuer }),
    ...(tokenEndpoint === undefined ? {} : { tokenEndpoint }),
    ...(clientSecret === undefined ? {} : { clientSecret }),
  }
  const port = optionalSetting('OAUTH2_REDIRECT_PORT')
  return {
    grant: client,
    signIn: {
      ...client,
      ...(authorizationEndpoint === undefined ? {} : { authorizationEndpoint }),
      scope: optionalSetting('OAUTH2_SCOPE') ?? 'openid offline_access',
      ...(port === undefined ? {} : { port: Number(port) }),
    },
    apiUrl: optionalSetting('API_URL'),
    calls: 3,
    intervalMs: 1_000,
  }
}

main().catch(exitWithError)
