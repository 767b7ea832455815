import { existsSync, readdirSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { importProblems, readImportRuleContext } from './import-rule.js'

const root = join(import.meta.dirname, '..', '..', '..')
const context = readImportRuleContext(root)
// Every folder under examples/ with a src/ is an example a newcomer may copy; support/ only serves runners and tests.
const examples = readdirSync(join(root, 'examples')).filter(
  (name) => name !== 'support' && existsSync(join(root, 'examples', name, 'src')),
)

describe('each example, copied into a new project', () => {
  it('finds the published packages and the examples to check', () => {
    expect([...context.published.keys()]).toEqual(
      expect.arrayContaining(['@tokenflight/core', '@tokenflight/oauth2', '@tokenflight/testing']),
    )
    expect(context.published.get('@tokenflight/oauth2')).toContain('./node')
    expect(examples).toEqual(expect.arrayContaining(['axios-app', 'quick-start', 'demo']))
  })

  it.each(examples)('%s imports only published packages, its dependencies and Node', (name) => {
    expect(importProblems(join(root, 'examples', name), context)).toEqual([])
  })
})

describe('the import rule', () => {
  let folder: string
  afterEach(() => rm(folder, { recursive: true, force: true }))

  async function example(files: Record<string, string>, dependencies: Record<string, string>) {
    folder = await mkdtemp(join(tmpdir(), 'tokenflight-import-rule-'))
    await mkdir(join(folder, 'src', 'nested'), { recursive: true })
    await writeFile(join(folder, 'package.json'), JSON.stringify({ name: 'x', dependencies }))
    for (const [path, text] of Object.entries(files))
      await writeFile(join(folder, 'src', path), text)
    return importProblems(folder, context)
  }

  it('accepts relative files, node: builtins, published entry points and declared dependencies', async () => {
    const problems = await example(
      {
        'main.ts': [
          "import { readFile } from 'node:fs/promises'",
          "import { createTokenRefresher } from '@tokenflight/core'",
          "import type { FileTokenStore } from '@tokenflight/oauth2/node'",
          "import axios from 'axios'",
          "export { helper } from './nested/helper.js'",
        ].join('\n'),
        'nested/helper.ts': "import { settings } from '../main.js'\nexport const helper = settings",
      },
      { '@tokenflight/core': '^0.1.0', '@tokenflight/oauth2': '^0.1.0', axios: '^1.21.1' },
    )
    expect(problems).toEqual([])
  })

  it('names each import a copy could not resolve, and each private dependency', async () => {
    const problems = await example(
      {
        'main.ts': [
          "import { exitWithError } from '@tokenflight/example-support'",
          "import { startLocalProvider } from '@tokenflight/example-oauth2-local-provider'",
          "import { describeAdapterContract } from '@tokenflight/adapter-contract'",
          "import { fileTokenStore } from '@tokenflight/oauth2/files'",
          "import { refreshTokenGrant } from '@tokenflight/oauth2'",
          "import { readFile } from 'fs'",
          "import { runExample } from '../test/run.js'",
          "const ky = await import('ky')",
        ].join('\n'),
      },
      {
        '@tokenflight/example-support': 'workspace:^',
        '@tokenflight/example-oauth2-local-provider': 'workspace:^',
      },
    )
    expect(problems).toEqual([
      'package.json: `dependencies` has @tokenflight/example-support, which users cannot install',
      'package.json: `dependencies` has @tokenflight/example-oauth2-local-provider, which users cannot install',
      "src/main.ts: '@tokenflight/example-support' is not a published @tokenflight package",
      "src/main.ts: '@tokenflight/example-oauth2-local-provider' is not a published @tokenflight package",
      "src/main.ts: '@tokenflight/adapter-contract' is not a published @tokenflight package",
      "src/main.ts: '@tokenflight/oauth2/files': @tokenflight/oauth2 exports no './files'",
      "src/main.ts: '@tokenflight/oauth2': @tokenflight/oauth2 is not in `dependencies`",
      "src/main.ts: 'fs': fs is not in `dependencies`",
      "src/main.ts: '../test/run.js' is outside src/",
      "src/main.ts: 'ky': ky is not in `dependencies`",
    ])
  })
})
