import { join } from 'node:path'
import { runExample, unreachableUrl } from '@tokenflight/example-support/testing'
import { describe, expect, it } from 'vitest'

const example = join(import.meta.dirname, '..')

describe('the client credentials example against its local provider', () => {
  it('serves every request, with one token per expiry shared by concurrent requests', async () => {
    const run = await runExample(example)
    expect(run.exitCode, run.stdout + run.stderr).toBe(0)
    expect(run.stdout).toMatch(/refresh #1 \(no token yet\) took \d+ ms$/m)
    expect(run.stdout).toMatch(/refresh #2 \(/m)
    expect(run.stdout).toMatch(/^Burst 6: 4 concurrent requests -> 200, 200, 200, 200$/m)
    const minted = Number(/^24 requests, 0 failed; (\d+) tokens minted$/m.exec(run.stdout)?.[1])
    expect(minted).toBeGreaterThanOrEqual(2)
    expect(minted).toBeLessThanOrEqual(4)
  }, 20_000)
})

describe('the client credentials example against a real provider', () => {
  it('names the missing setting', async () => {
    const run = await runExample(example, { OAUTH2_CLIENT_ID: 'backend' })
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toMatch(/^Failed: Missing setting OAUTH2_TOKEN_ENDPOINT: set it to /m)
  }, 20_000)

  it('says clearly that the provider cannot be reached', async () => {
    const tokenEndpoint = await unreachableUrl('/oauth/token')
    const run = await runExample(example, {
      OAUTH2_TOKEN_ENDPOINT: tokenEndpoint,
      OAUTH2_CLIENT_ID: 'backend',
      OAUTH2_CLIENT_SECRET: 'secret',
    })
    expect(run.exitCode).toBe(1)
    expect(run.stderr).toContain(
      `Token endpoint ${tokenEndpoint} could not be reached (ECONNREFUSED)`,
    )
  }, 20_000)
})
