import { join } from 'node:path'
import { expectRootReadmeSnippetFrom, runExample } from '@tokenflight/example-support/testing'
import { describe, expect, it } from 'vitest'

const example = join(import.meta.dirname, '..')

describe('four copies of the CLI on one token file', () => {
  it('all succeed, and the provider sees no refresh token used twice', async () => {
    const run = await runExample(example)
    expect(run.exitCode, run.stdout + run.stderr).toBe(0)
    expect(run.stdout.match(/^copy \d+: 12 calls, 0 failed$/gm)).toHaveLength(4)
    expect(run.stdout).toMatch(
      /^The provider saw [1-9]\d* refreshes and 0 refresh tokens used twice$/m,
    )
  }, 40_000)

  it('is what the root README shows under "One session, many processes", in order', () => {
    expectRootReadmeSnippetFrom(join(example, 'src', 'cli.ts'), 'fileTokenStore(tokenFile)')
  })
})
