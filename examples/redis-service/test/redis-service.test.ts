import { join } from 'node:path'
import { expectRootReadmeSnippetFrom, runExample } from '@tokenflight/example-support/testing'
import { freePort, type RedisServer, startRedisServer } from '@tokenflight/redis-server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const example = join(import.meta.dirname, '..')
let redis: RedisServer
beforeAll(async () => {
  redis = await startRedisServer()
}, 20_000)
afterAll(() => redis.close())

describe('three instances of the service on one Redis', () => {
  it('all succeed, and the provider sees no refresh token used twice', async () => {
    const run = await runExample(example, { REDIS_URL: redis.url })
    expect(run.exitCode, run.stdout + run.stderr).toBe(0)
    expect(run.stdout.match(/^instance \d+: 12 calls, 0 failed$/gm)).toHaveLength(3)
    expect(run.stdout).toMatch(
      /^The provider saw [1-9]\d* refreshes and 0 refresh tokens used twice$/m,
    )
  }, 40_000)

  it('says clearly when Redis cannot be reached', async () => {
    const url = `redis://127.0.0.1:${await freePort()}`
    const run = await runExample(example, { REDIS_URL: url })
    expect(run.exitCode).toBe(1)
    expect(run.stderr).toContain(`(is Redis running at ${url}? set REDIS_URL)`)
  }, 40_000)

  it('is what the root README shows under "One session, many processes", in order', () => {
    expectRootReadmeSnippetFrom(join(example, 'src', 'service.ts'), 'redisTokenStore({ client')
  })
})
