import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { runExample } from '@tokenflight/example-support/testing'
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
  it('is what the root README shows under "One session, many processes", line for line, in order', () => {
    const readme = readFileSync(join(example, '..', '..', 'README.md'), 'utf8')
    const source = readFileSync(join(example, 'src', 'cli.ts'), 'utf8')
    const snippet = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)]
      .map((match) => match[1] ?? '')
      .find((code) => code.includes('fileTokenStore(tokenFile)'))
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
