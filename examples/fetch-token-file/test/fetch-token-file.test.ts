import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  describeRealProviderSettings,
  runExample,
  runProgram,
} from '@tokenflight/example-support/testing'
import { describe, expect, it } from 'vitest'

const example = join(import.meta.dirname, '..')

async function newTokenFile(): Promise<string> {
  return join(await mkdtemp(join(tmpdir(), 'tokenflight-test-')), 'session', 'tokens.json')
}

describe('the token file script on the simulated provider', () => {
  it('starts a session when the file is missing, and the next start carries it on', async () => {
    const tokenFile = await newTokenFile()
    const run = await runExample(example, { TOKEN_FILE: tokenFile })
    expect(run.exitCode, run.stdout + run.stderr).toBe(0)
    expect(run.stdout).toContain(
      `No session in ${tokenFile}: starting one from OAUTH2_REFRESH_TOKEN`,
    )
    expect(run.stdout).toContain(`Session read from ${tokenFile}`)
    expect(run.stdout).toMatch(/^\d+ requests, none failed; the session is kept in /m)
    expect(run.stdout).toMatch(/^Provider saw: +\d+ token requests, 0 refresh tokens used twice$/m)
    expect(run.stdout).toContain(`Tokens saved:     ${tokenFile} (mode 600), after every refresh`)
    expect(run.stdout).toContain('As expected: no failed request, one token request per token')
    expect((await stat(tokenFile)).mode & 0o777).toBe(0o600)
    const saved = JSON.parse(await readFile(tokenFile, 'utf8'))
    expect(saved.refreshToken).toMatch(/^rt_/)
  }, 30_000)

  it('ends the session clearly when the file holds tokens the provider does not know', async () => {
    const stale = join(await mkdtemp(join(tmpdir(), 'tokenflight-test-')), 'tokens.json')
    await writeFile(
      stale,
      JSON.stringify({ accessToken: 'at_old', refreshToken: 'rt_old', expiresAt: 0 }),
    )
    const run = await runExample(example, { TOKEN_FILE: stale })
    expect(run.exitCode).toBe(1)
    expect(run.stdout).toContain(`Session read from ${stale}`)
    expect(run.stderr).toMatch(
      /^Failed: Session expired: the token endpoint answered invalid_grant/m,
    )
    expect(run.stderr).toContain('Unexpected: src/main.ts exited with code 1')
  }, 30_000)
})

describe('the token file script with a real provider', () => {
  it('names the path of a malformed token file, never its contents', async () => {
    const malformed = join(await mkdtemp(join(tmpdir(), 'tokenflight-test-')), 'tokens.json')
    await writeFile(malformed, '{"accessToken": "at-secret-value", "refreshToken": ')
    const run = await runProgram(example, {
      OAUTH2_TOKEN_ENDPOINT: 'https://auth.example.com/oauth/token',
      OAUTH2_CLIENT_ID: 'my-app',
      API_URL: 'https://api.example.com/v1/me',
      TOKEN_FILE: malformed,
    })
    expect(run.exitCode).toBe(1)
    expect(run.stderr).toContain(`Failed: The token file ${malformed} is corrupt (not JSON)`)
    expect(run.stdout + run.stderr).not.toContain('at-secret-value')
    expect(run.stderr).not.toMatch(/^\s+at /m)
  }, 15_000)
})

// A real provider's session goes to ~/.config by default; these runs keep theirs in a temporary directory.
describeRealProviderSettings('the token file script', example, async () => ({
  TOKEN_FILE: await newTokenFile(),
}))
