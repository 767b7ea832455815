import { join } from 'node:path'
import { runExample, runProgram, unreachableUrl } from '@tokenflight/example-support/testing'
import { describe, expect, it } from 'vitest'

const example = join(import.meta.dirname, '..')

describe('the client credentials example against its local provider', () => {
  it('serves every request, with one token per expiry shared by concurrent requests', async () => {
    const run = await runExample(example)
    expect(run.exitCode, run.stdout + run.stderr).toBe(0)
    expect(run.stdout).toMatch(/^token minted \(missing\) in \d+ ms$/m)
    expect(run.stdout).toMatch(/^token minted \(background\) in \d+ ms$/m)
    expect(run.stdout).toMatch(/^Burst 6: 4 concurrent requests -> 200, 200, 200, 200$/m)
    expect(run.stdout).toMatch(/^24 requests, 0 failed$/m)
    const minted = Number(
      /^Provider saw: +(\d+) token requests, 24 API requests$/m.exec(run.stdout)?.[1],
    )
    expect(minted).toBeGreaterThanOrEqual(2)
    expect(minted).toBeLessThanOrEqual(4)
    expect(run.stdout).toContain('As expected: every request succeeded')
  }, 30_000)
})

describe('the client credentials example against a real provider', () => {
  it('names the missing setting', async () => {
    const run = await runProgram(example, { OAUTH2_CLIENT_ID: 'backend' })
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toMatch(/^Failed: Missing setting OAUTH2_TOKEN_ENDPOINT: set it to /m)
  }, 20_000)

  it('says clearly that the provider cannot be reached, without printing the secret', async () => {
    const tokenEndpoint = await unreachableUrl('/oauth/token')
    const run = await runProgram(example, {
      OAUTH2_TOKEN_ENDPOINT: tokenEndpoint,
      OAUTH2_CLIENT_ID: 'backend',
      OAUTH2_CLIENT_SECRET: 'cs-backend-secret',
    })
    expect(run.exitCode).toBe(1)
    expect(run.stderr).toContain(
      `Token endpoint ${tokenEndpoint} could not be reached (ECONNREFUSED)`,
    )
    expect(run.stdout + run.stderr).not.toContain('cs-backend-secret')
    expect(run.stderr).not.toMatch(/^\s+at /m)
  }, 20_000)
})
