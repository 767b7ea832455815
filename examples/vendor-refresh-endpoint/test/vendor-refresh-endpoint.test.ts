import { join } from 'node:path'
import { runExample, runProgram, unreachableUrl } from '@tokenflight/example-support/testing'
import { describe, expect, it } from 'vitest'

const example = join(import.meta.dirname, '..')

describe('the vendor refresh endpoint example on its simulated vendor', () => {
  it('maps the vendor’s answer, refreshes once per token and absorbs the early 401s', async () => {
    const run = await runExample(example)
    expect(run.exitCode, run.stdout + run.stderr).toBe(0)
    expect(run.stdout).toMatch(/^refreshed \(expired\) in \d+ ms$/m)
    expect(run.stdout).toMatch(/^refreshed \(unauthorized\) in \d+ ms$/m)
    expect(run.stdout).toMatch(/^\d+ requests, none failed$/m)
    expect(run.stdout).toMatch(/^401s absorbed: +[1-9]\d*, replayed with the new token/m)
    expect(run.stdout).toMatch(/^Provider saw: +\d+ token requests, 0 refresh tokens used twice$/m)
    expect(run.stdout).toContain('As expected: no failed request, one token request per token')
  }, 30_000)
})

describe('the vendor refresh endpoint example with the real vendor', () => {
  it('names the missing refresh token and exits with code 2', async () => {
    const run = await runProgram(example, {
      VENDOR_REFRESH_URL: 'https://vendor.example.com/api/auth/refresh',
      API_URL: 'https://vendor.example.com/api/me',
    })
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toMatch(/^Failed: Missing setting VENDOR_REFRESH_TOKEN: set it to /m)
  }, 15_000)

  it('names a malformed refresh URL', async () => {
    const run = await runProgram(example, {
      VENDOR_REFRESH_URL: 'vendor.example.com/api/auth/refresh',
      VENDOR_REFRESH_TOKEN: 'vendor-refresh-token',
      API_URL: 'https://vendor.example.com/api/me',
    })
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain('Failed: Malformed setting VENDOR_REFRESH_URL: expected')
  }, 15_000)

  it('says that the vendor cannot be reached, without printing the refresh token', async () => {
    const refreshUrl = await unreachableUrl('/api/auth/refresh')
    const run = await runProgram(example, {
      VENDOR_REFRESH_URL: refreshUrl,
      VENDOR_REFRESH_TOKEN: 'vendor-refresh-token',
      API_URL: 'https://vendor.example.com/api/me',
    })
    expect(run.exitCode).toBe(1)
    expect(run.stderr).toContain(`Could not reach ${refreshUrl} (ECONNREFUSED)`)
    expect(run.stdout + run.stderr).not.toContain('vendor-refresh-token')
    expect(run.stderr).not.toMatch(/^\s+at /m)
  }, 15_000)
})
