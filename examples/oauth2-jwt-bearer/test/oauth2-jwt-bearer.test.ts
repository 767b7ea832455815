import { join } from 'node:path'
import { runExample, runProgram, unreachableUrl } from '@tokenflight/example-support/testing'
import { describe, expect, it } from 'vitest'

const example = join(import.meta.dirname, '..')

describe('the JWT bearer example against its local provider', () => {
  it('exchanges a freshly signed assertion for each expiry, and every request succeeds', async () => {
    const run = await runExample(example)
    expect(run.exitCode, run.stdout + run.stderr).toBe(0)
    expect(run.stdout).toMatch(/^assertion exchanged \(missing\) in \d+ ms$/m)
    expect(run.stdout).toMatch(/^assertion exchanged \(background\) in \d+ ms$/m)
    expect(run.stdout).toMatch(/-> 200 \{"sub":"nightly-reports"\}$/m)
    expect(run.stdout).toMatch(/^6 requests, 0 failed$/m)
    expect(run.stdout).toMatch(
      /^Provider saw: +\d+ assertions exchanged, 0 API requests rejected$/m,
    )
    expect(run.stdout).toContain('As expected: every request succeeded')
  }, 30_000)
})

describe('the JWT bearer example against a real provider', () => {
  it('names the missing setting', async () => {
    const run = await runProgram(example, {
      OAUTH2_TOKEN_ENDPOINT: 'https://auth.example.com/token',
    })
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toMatch(/^Failed: Missing setting OAUTH2_ASSERTION_KEY_FILE: set it to /m)
  }, 20_000)

  it('says clearly that the provider cannot be reached', async () => {
    const tokenEndpoint = await unreachableUrl('/token')
    const run = await runProgram(example, {
      OAUTH2_TOKEN_ENDPOINT: tokenEndpoint,
      OAUTH2_CLIENT_ID: 'reports',
      OAUTH2_ASSERTION_SECRET: 'shared-secret',
    })
    expect(run.exitCode).toBe(1)
    expect(run.stderr).toContain(
      `Token endpoint ${tokenEndpoint} could not be reached (ECONNREFUSED)`,
    )
    expect(run.stdout + run.stderr).not.toContain('shared-secret')
  }, 20_000)
})
