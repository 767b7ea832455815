import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { createTokenRefresher } from '@tokenflight/core'
import { withTokenRefresh } from '@tokenflight/fetch'
import { refreshTokenGrant } from '@tokenflight/oauth2'
import { fileTokenStore, signInWithLoopback } from '@tokenflight/oauth2/node'
import { optionalSetting, readSettings, SettingError } from './settings.js'

// A command-line program that signs its user in once (authorization code + PKCE on a loopback redirect), keeps the
// tokens in a file, and from then on refreshes them, across restarts, for as long as the refresh token lives.

const calls = 6
const intervalMs = 450

async function main(): Promise<void> {
  const settings = readSettings()
  const apiUrl = optionalSetting('API_URL')
  const tokenFile = resolve(
    optionalSetting('TOKEN_FILE') ??
      join(homedir(), '.config', 'tokenflight-sign-in-cli', 'tokens.json'),
  )
  const store = fileTokenStore(tokenFile)
  const refresher = createTokenRefresher({
    store,
    refresh: refreshTokenGrant(settings.grant),
    // One line per refresh; no event carries a token.
    onEvent: (event) => {
      if (event.type === 'refresh-succeeded') {
        const rotated = event.refreshTokenRotated ? ', new refresh token saved' : ''
        console.log(`refreshed (${event.reason}) in ${Math.round(event.durationMs)} ms${rotated}`)
      }
    },
  })

  // A corrupt or unreadable file stops the program here, naming the file, instead of being signed over.
  if ((await store.get()) === undefined) {
    console.log(`No tokens in ${tokenFile}: signing in`)
    await refresher.setTokens(await signInWithLoopback(settings.signIn))
    console.log(`Signed in; tokens saved to ${tokenFile}`)
  } else {
    console.log(`Using the tokens saved in ${tokenFile}: no sign-in needed`)
  }

  if (apiUrl === undefined) {
    await refresher.refresh()
    return
  }
  const api = withTokenRefresh(fetch, refresher)
  let failures = 0
  for (let call = 1; call <= calls; call++) {
    const response = await api(apiUrl)
    await response.body?.cancel()
    console.log(`GET ${apiUrl} -> ${response.status}`)
    if (!response.ok) failures++
    if (call < calls) await sleep(intervalMs)
  }
  // A refresh the last call started keeps the process alive until its tokens are in the file.
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
