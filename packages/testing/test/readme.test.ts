import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'

// The README's example is readme-example.test.ts, which runs as a test of its own.
describe('the README', () => {
  it('shows readme-example.test.ts as it is', async () => {
    const [readme, example] = await Promise.all([
      readFile(new URL('../README.md', import.meta.url), 'utf8'),
      readFile(new URL('./readme-example.test.ts', import.meta.url), 'utf8'),
    ])
    expect(readme).toContain(`\`\`\`ts\n${example}\`\`\``)
  })
})
