import { generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runExample, unreachableUrl } from '@tokenflight/example-support/testing'
import { describe, expect, it } from 'vitest'

const example = join(import.meta.dirname, '..')

describe('the many-users server against its local provider', () => {
  it('answers every user with their own token, shared by their concurrent requests', async () => {
    const run = await runExample(example)
    expect(run.exitCode, run.stdout + run.stderr).toBe(0)
    expect(run.stdout).toMatch(/round 8: 20 requests -> 200; 10 sessions$/m)
    expect(run.stdout).toMatch(/^tokens minted for alice reports:read: \d+$/m)
    expect(run.stdout).toMatch(/^tokens minted for erin profile:read: \d+$/m)
    expect(run.stdout).toMatch(
      /^160 requests, 0 failed, 0 answered for another user; \d+ tokens minted for 10 sessions$/m,
    )
  }, 30_000)

  it('is what the root README shows for the pool, word for word', () => {
    const readme = readFileSync(join(example, '..', '..', 'README.md'), 'utf8')
    const code = readFileSync(join(example, 'src', 'sessions.ts'), 'utf8')
    expect(readme).toContain(`\`\`\`ts\n${code}\`\`\``)
  })
})

describe('the many-users server against a real provider', () => {
  it('names the missing setting', async () => {
    const run = await runExample(example, { OAUTH2_CLIENT_ID: 'reports' })
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toMatch(/^Failed: Missing setting OAUTH2_TOKEN_ENDPOINT: set it to /m)
  }, 20_000)

  it('says clearly that the provider cannot be reached', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'tokenflight-many-users-'))
    try {
      const keyFile = join(directory, 'service-account.pem')
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
      writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }))
      const tokenEndpoint = await unreachableUrl('/token')
      const run = await runExample(example, {
        OAUTH2_TOKEN_ENDPOINT: tokenEndpoint,
        OAUTH2_CLIENT_ID: 'reports',
        OAUTH2_ASSERTION_KEY_FILE: keyFile,
        OAUTH2_USERS: 'alice,bob',
        API_URL: 'https://api.example.com/me',
      })
      expect(run.exitCode).toBe(1)
      expect(run.stderr).toContain(
        `Token endpoint ${tokenEndpoint} could not be reached (ECONNREFUSED)`,
      )
    } finally {
      rmSync(directory, { recursive: true, force: true })
    }
  }, 20_000)
})
