import { setTimeout as sleep } from 'node:timers/promises'
import { createTokenRefresher } from '@tokenflight/core'
import { refreshTokenGrant } from '@tokenflight/oauth2'
import { redisTokenStore } from '@tokenflight/redis'
import { createClient } from 'redis'

// One instance of a service that calls a partner API on behalf of one account, whose refresh token is single-use.
// Run any number of instances, on any number of machines, with the same REDIS_URL and key: at each expiry one of
// them refreshes under the lock in Redis, and the others take the tokens it wrote.

const client = await createClient({ url: setting('REDIS_URL') })
  .on('error', (error) => console.error('Redis:', error.message))
  .connect()
const refresher = createTokenRefresher({
  store: redisTokenStore({ client, key: 'partner-api:tokens' }),
  refresh: refreshTokenGrant({
    tokenEndpoint: setting('OAUTH2_TOKEN_ENDPOINT'),
    clientId: setting('OAUTH2_CLIENT_ID'),
  }),
  onSessionExpired: () => console.error('The partner account must be connected again'),
})

const calls = Number(process.env.CALLS ?? 12)
let failed = 0
for (let call = 1; call <= calls; call++) {
  const response = await fetch(setting('API_URL'), {
    headers: { authorization: `Bearer ${await refresher.getAccessToken()}` },
  })
  await response.body?.cancel()
  if (!response.ok) failed++
  if (call < calls) await sleep(250)
}
console.log(`instance ${process.pid}: ${calls} calls, ${failed} failed`)
client.destroy()
process.exitCode = failed === 0 ? 0 : 1

function setting(name: string): string {
  const value = process.env[name]
  if (value === undefined || value === '') throw new Error(`Missing setting ${name}`)
  return value
}
