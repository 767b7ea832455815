import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { runExample } from '@tokenflight/example-support/testing'
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
  it('is what the root README shows under "One session, many processes", line for line, in order', () => {
    const readme = readFileSync(join(example, '..', '..', 'README.md'), 'utf8')
    const source = readFileSync(join(example, 'src', 'service.ts'), 'utf8')
    const snippet = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)]
      .map((match) => match[1] ?? '')
      .find((code) => code.includes('redisTokenStore({ client'))
    const lines = (text: string) => text.split('\n').filter((line) => line.trim() !== '')
    const [imports, code] = [
      lines(snippet ?? '').filter((line) => line.startsWith('import ')),
      lines(snippet ?? '').filter((line) => !line.startsWith('import ')),
    ]
    expect(code.length).toBeGreaterThan(0)
    for (const line of imports) expect(source).toContain(line)
    // In the same order; the example may have more between them.
    const sourceLines = lines(source)
    let at = 0
    for (const line of code) {
      at = sourceLines.indexOf(line, at) + 1
      expect(at, line).toBeGreaterThan(0)
    }
  })
})
