import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'

describe('packages/core/ADAPTERS.md', () => {
  it('shows the example adapter as it is, the file the contract runs', async () => {
    const [page, adapter] = await Promise.all([
      readFile(new URL('../../../packages/core/ADAPTERS.md', import.meta.url), 'utf8'),
      readFile(new URL('../src/with-token-refresh.ts', import.meta.url), 'utf8'),
    ])
    expect(page).toContain(`\`\`\`ts\n${adapter}\`\`\``)
  })
})
