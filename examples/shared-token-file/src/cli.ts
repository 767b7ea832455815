import { setTimeout as sleep } from 'node:timers/promises'
import { createTokenRefresher } from '@tokenflight/core'
import { withTokenRefresh } from '@tokenflight/fetch'
import { refreshTokenGrant } from '@tokenflight/oauth2'
import { fileTokenStore } from '@tokenflight/oauth2/node'

// A command-line program that calls an API with the tokens in one file. Run as many copies at once as you like on
// the same file: at each expiry one of them refreshes, under the lock beside the file, and the others take the
// tokens it wrote, so a provider with single-use refresh tokens never sees one used twice.

const tokenFile = setting('TOKEN_FILE')
const tokenEndpoint = setting('OAUTH2_TOKEN_ENDPOINT')
const clientId = setting('OAUTH2_CLIENT_ID')

const refresher = createTokenRefresher({
  store: fileTokenStore(tokenFile),
  refresh: refreshTokenGrant({ tokenEndpoint, clientId }),
  onSessionExpired: () => console.error('Session expired: sign in again'),
})
const api = withTokenRefresh(fetch, refresher)

const calls = Number(process.env.CALLS ?? 12)
let failed = 0
for (let call = 1; call <= calls; call++) {
  const response = await api(setting('API_URL'))
  await response.body?.cancel()
  if (!response.ok) failed++
  if (call < calls) await sleep(250)
}
console.log(`copy ${process.pid}: ${calls} calls, ${failed} failed`)
process.exitCode = failed === 0 ? 0 : 1

function setting(name: string): string {
  const value = process.env[name]
  if (value === undefined || value === '') throw new Error(`Missing setting ${name}`)
  return value
}
