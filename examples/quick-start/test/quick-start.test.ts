import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { runExample } from '@tokenflight/example-support/testing'
import { describe, expect, it } from 'vitest'

const example = join(import.meta.dirname, '..')
const rootReadme = readFileSync(join(example, '..', '..', 'README.md'), 'utf8')

describe('the quick start', () => {
  it('serves every request through axios, ky and fetch with one refresh per rejected token', async () => {
    const { exitCode, stdout, stderr } = await runExample(example)

    expect({ exitCode, stderr }).toEqual({ exitCode: 0, stderr: '' })
    for (const round of [1, 2, 3]) {
      expect(stdout).toContain(
        `round ${round}: 30 of 30 requests through axios, ky and fetch succeeded`,
      )
    }
    expect(stdout).toContain('access tokens rejected early: 2; 401s absorbed: 60')
    expect(stdout).toContain('refreshes: 3 (the first request’s, then one per rejected token')
  }, 30_000)

  it.each(['refresher.ts', 'axios-client.ts', 'ky-client.ts', 'fetch-client.ts'])(
    'is what the root README shows for %s, word for word',
    (file) => {
      const code = readFileSync(join(example, 'src', file), 'utf8')

      expect(rootReadme).toContain(`\`\`\`ts\n${code}\`\`\``)
    },
  )
})
