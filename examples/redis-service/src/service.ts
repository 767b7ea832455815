import { setTimeout as sleep } from 'node:timers/promises'
import { createTokenRefresher } from '@tokenflight/core'
import { withTokenRefresh } from '@tokenflight/fetch'
import { refreshTokenGrant } from '@tokenflight/oauth2'
import { redisTokenStore } from '@tokenflight/redis'
import { createClient } from 'redis'

// One instance of a service that calls a partner API on behalf of one account, whose refresh token is single-use.
// Run any number of instances, on any number of machines, with the same REDIS_URL and key: at each expiry one of
// them refreshes under the lock in Redis, and the others take the tokens it wrote.

const redisUrl = setting('REDIS_URL')
const tokenEndpoint = setting('OAUTH2_TOKEN_ENDPOINT')
const clientId = setting('OAUTH2_CLIENT_ID')

// A refresh still running when the service stops has used up the old refresh token: it must save the new one before
// the Redis client closes, or the other instances are left with a spent token.
let refreshing = Promise.resolve()
let settle = () => {}

const client = await createClient({ url: redisUrl })
  .on('error', (error) => console.error('Redis:', error.message))
  .connect()
const refresher = createTokenRefresher({
  store: redisTokenStore({ client, key: 'partner-api:tokens' }),
  refresh: refreshTokenGrant({ tokenEndpoint, clientId }),
  onSessionExpired: () => console.error('The partner account must be connected again'),
  onEvent: (event) => {
    if (event.type === 'refresh-started') refreshing = new Promise((resolve) => (settle = resolve))
    // A refresh ends in success, failure, or in tokens another instance wrote meanwhile.
    if (['refresh-succeeded', 'refresh-failed', 'tokens-adopted'].includes(event.type)) settle()
  },
})

// A request sent just before another instance refreshed comes back 401: it is sent again with the new token.
const api = withTokenRefresh(fetch, refresher)
const calls = Number(process.env.CALLS ?? 12)
let failed = 0
for (let call = 1; call <= calls; call++) {
  const response = await api(setting('API_URL'))
  await response.body?.cancel()
  if (!response.ok) failed++
  if (call < calls) await sleep(250)
}
console.log(`instance ${process.pid}: ${calls} calls, ${failed} failed`)
await refreshing
client.destroy()
process.exitCode = failed === 0 ? 0 : 1

function setting(name: string): string {
  const value = process.env[name]
  if (value === undefined || value === '') throw new Error(`Missing setting ${name}`)
  return value
}
