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
    expect(stdout).toContain('requests: 90 through axios, ky and fetch; succeeded: 90')
    expect(stdout).toContain('refreshes: 2 (one per rejected token, shared by all three clients)')
  }, 20_000)

  it.each(['refresher.ts', 'axios-client.ts', 'ky-client.ts', 'fetch-client.ts'])(
    'is what the root README shows for %s, word for word',
    (file) => {
      const code = readFileSync(join(example, 'src', file), 'utf8')

      expect(rootReadme).toContain(`\`\`\`ts\n${code}\`\`\``)
    },
  )
})
