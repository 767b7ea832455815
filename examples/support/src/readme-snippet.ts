import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect } from 'vitest'

const rootReadme = join(import.meta.dirname, '..', '..', '..', 'README.md')

/**
 * Checks that the root README's `ts` snippet containing `marker` is taken from `sourceFile`: its imports are there,
 * and its other lines are there in the same order (the example may have more between them).
 */
export function expectRootReadmeSnippetFrom(sourceFile: string, marker: string): void {
  const readme = readFileSync(rootReadme, 'utf8')
  const source = readFileSync(sourceFile, 'utf8')
  const snippet = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)]
    .map((match) => match[1] ?? '')
    .find((code) => code.includes(marker))
  expect(snippet, `a snippet with ${marker}`).toBeDefined()
  const lines = (text: string) => text.split('\n').filter((line) => line.trim() !== '')
  const sourceLines = lines(source)
  let at = 0
  for (const line of lines(snippet ?? '')) {
    if (line.startsWith('import ')) {
      expect(sourceLines, line).toContain(line)
      continue
    }
    at = sourceLines.indexOf(line, at) + 1
    expect(at, line).toBeGreaterThan(0)
  }
}
