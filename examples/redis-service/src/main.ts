import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { redisTokenStore } from '@tokenflight/redis'
import { serveOAuthSimulator } from '@tokenflight/testing/node'
import { createClient } from 'redis'

// Runs three instances of src/service.ts at once on one Redis, against a provider on loopback that rotates refresh
// tokens and revokes the session when a used one comes back (RFC 9700), then prints what the provider saw.
// REDIS_URL names the Redis to use (default redis://127.0.0.1:6379); the tokens go to the key partner-api:tokens.

const instances = 3
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const provider = await serveOAuthSimulator({ reuseDetection: true, accessTokenLifetimeMs: 2_000 })
try {
  const client = await createClient({
    url: redisUrl,
    socket: { reconnectStrategy: false },
  }).connect()
  // What connecting the partner account once leaves in Redis.
  await redisTokenStore({ client, key: 'partner-api:tokens' }).set(provider.simulator.signIn())
  client.destroy()
  console.log(`${instances} instances of the service on ${redisUrl}, access tokens living 2 s`)

  const exitCodes = await Promise.all(
    Array.from({ length: instances }, async () => {
      const instance = spawn(
        process.execPath,
        [...process.execArgv, new URL('service.ts', import.meta.url).pathname],
        {
          env: {
            ...process.env,
            REDIS_URL: redisUrl,
            OAUTH2_TOKEN_ENDPOINT: provider.simulator.tokenUrl,
            OAUTH2_CLIENT_ID: 'partner-api',
            API_URL: `${provider.simulator.apiUrl}/orders`,
          },
          stdio: 'inherit',
        },
      )
      const [code] = (await once(instance, 'close')) as [number | null]
      return code
    }),
  )

  const { refreshCalls, reusedRefreshTokens } = provider.simulator.stats
  console.log(
    `The provider saw ${refreshCalls} refreshes and ${reusedRefreshTokens} refresh tokens used twice`,
  )
  if (exitCodes.some((code) => code !== 0) || reusedRefreshTokens > 0 || refreshCalls === 0) {
    console.error(
      'Unexpected: every instance must succeed, with refreshes and no refresh token used twice',
    )
    process.exitCode = 1
  }
} catch (error) {
  console.error(
    `Failed: ${(error as Error).message} (is Redis running at ${redisUrl}? set REDIS_URL)`,
  )
  process.exitCode = 1
} finally {
  await provider.close()
}
