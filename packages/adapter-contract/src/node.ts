import { readFile } from 'node:fs/promises'
import { setupServer } from 'msw/node'
import { afterAll, beforeAll, expect } from 'vitest'
import type { MockNetwork } from './mock-network.js'

/** Starts MSW's Node interceptor for the test file; every request it does not handle fails the test. */
export function useNodeNetwork(): MockNetwork {
  const server = setupServer()
  beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
  afterAll(() => server.close())
  return server
}

/**
 * Checks that a README shows a file verbatim as a TypeScript code block, so that the test which runs the file runs
 * exactly the code readers copy.
 */
export async function expectReadmeToShow(readme: URL, example: URL): Promise<void> {
  const [readmeText, exampleText] = await Promise.all([
    readFile(readme, 'utf8'),
    readFile(example, 'utf8'),
  ])
  expect(readmeText).toContain(`\`\`\`ts\n${exampleText}\`\`\``)
}
