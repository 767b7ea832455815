import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createTokenRefresher } from '@tokenflight/core'
import { refreshTokenGrant } from '@tokenflight/oauth2'
import { redisTokenStore } from '@tokenflight/redis'
import { type RedisServer, startRedisServer } from '@tokenflight/redis-server'
import { type OAuthSimulatorServer, serveOAuthSimulator } from '@tokenflight/testing/node'
import { createClient } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// The README's snippet stands below as it is written there (the first test checks it), in three instances of a
// service at once, against the simulated provider on loopback with reuse detection.

let redis: RedisServer
let provider: OAuthSimulatorServer
beforeAll(async () => {
  redis = await startRedisServer()
  provider = await serveOAuthSimulator({ reuseDetection: true, accessTokenLifetimeMs: 1_000 })
}, 20_000)
afterAll(async () => {
  await provider.close()
  await redis.close()
})

describe('the README', () => {
  it('shows no snippet that this file does not run', async () => {
    const readme = await readFile(join(import.meta.dirname, '../README.md'), 'utf8')
    const source = await readFile(import.meta.filename, 'utf8')
    const snippets = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1] ?? '')
    expect(snippets).toHaveLength(1)
    const lines = (text: string) =>
      text
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line !== '' && !line.startsWith('import '))
    expect(`\n${lines(source).join('\n')}\n`).toContain(
      `\n${lines(snippets[0] ?? '').join('\n')}\n`,
    )
  })
})

describe('the snippet, in three instances of a service', () => {
  /** One instance starting: the snippet, with its settings. */
  async function startInstance() {
    const redisUrl = redis.url
    const tokenEndpoint = provider.simulator.tokenUrl
    const clientId = 'billing-api'
    const apiUrl = provider.simulator.apiUrl

    const client = await createClient({ url: redisUrl })
      .on('error', (error) => console.error('Redis:', error.message))
      .connect()
    const refresher = createTokenRefresher({
      store: redisTokenStore({ client, key: 'billing-api:tokens' }),
      refresh: refreshTokenGrant({ tokenEndpoint, clientId }),
    })
    const response = await fetch(`${apiUrl}/invoices`, {
      headers: { authorization: `Bearer ${await refresher.getAccessToken()}` },
    })

    return { client, refresher, response }
  }

  it('makes one refresh among them for an expired token, and each calls the API with it', async () => {
    const { simulator } = provider
    const seed = await createClient({ url: redis.url }).connect()
    // Tokens a sign-in stored, already expired.
    await redisTokenStore({ client: seed, key: 'billing-api:tokens' }).set({
      ...simulator.signIn(),
      expiresAt: Date.now() - 1,
    })
    seed.destroy()

    const instances = await Promise.all([startInstance(), startInstance(), startInstance()])
    for (const { response } of instances) expect(response.status).toBe(200)
    expect(simulator.stats.refreshCalls).toBe(1)
    expect(simulator.stats.reusedRefreshTokens).toBe(0)
    const [first, ...others] = instances.map(({ refresher }) => refresher.getTokens())
    for (const tokens of others) expect(tokens).toEqual(first)
    for (const { client } of instances) client.destroy()
  })
})
