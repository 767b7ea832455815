import { join } from 'node:path'
import { runExample } from '@tokenflight/example-support/testing'
import { describe, expect, it } from 'vitest'

describe('the local provider', () => {
  it('starts, prints its settings, passes its self-check and stops', async () => {
    const run = await runExample(join(import.meta.dirname, '..'))
    expect(run.exitCode, run.stdout + run.stderr).toBe(0)
    expect(run.stdout).toMatch(
      /^Local OAuth 2 provider on http:\/\/127\.0\.0\.1:\d+ \(access tokens live 2000 ms\)$/m,
    )
    expect(run.stdout).toMatch(/^ {2}JWT bearer: +http:\/\/127\.0\.0\.1:\d+\/jwt-bearer\/token/m)
    expect(run.stdout).toContain('Self-check: the API answered 200 to a client credentials token')
  }, 20_000)
})
