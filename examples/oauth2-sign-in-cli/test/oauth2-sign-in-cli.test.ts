import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runExample, runProgram, unreachableUrl } from '@tokenflight/example-support/testing'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

const example = join(import.meta.dirname, '..')
let directory: string
let tokenFile: string
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'tokenflight-sign-in-cli-'))
  tokenFile = join(directory, 'tokens.json')
})
afterEach(() => rm(directory, { recursive: true, force: true }))

describe('the sign-in CLI against its local provider', () => {
  it('signs in on its first run, and keeps refreshing from the saved tokens after a restart', async () => {
    const first = await runExample(example, { TOKEN_FILE: tokenFile })
    expect(first.exitCode, first.stdout + first.stderr).toBe(0)
    expect(first.stdout).toContain(`No tokens in ${tokenFile}: signing in`)
    expect(first.stderr).toMatch(
      /sign in:\n {2}http:\/\/127\.0\.0\.1:\d+\/authorize\?response_type=code/,
    )
    expect(first.stdout).toContain(`Signed in; tokens saved to ${tokenFile}`)
    expect(first.stdout).toMatch(/^refreshed \(.+\) in \d+ ms, new refresh token saved$/m)
    expect(first.stdout).toMatch(/^6 requests, 0 failed$/m)
    expect(first.stdout).toContain(
      `Tokens saved:     ${tokenFile} (mode 600), with a new refresh token`,
    )
    expect((await stat(tokenFile)).mode & 0o777).toBe(0o600)
    const afterFirst = JSON.parse(await readFile(tokenFile, 'utf8'))

    const second = await runExample(example, { TOKEN_FILE: tokenFile })
    expect(second.exitCode, second.stdout + second.stderr).toBe(0)
    expect(second.stdout).toContain(`Using the tokens saved in ${tokenFile}: no sign-in needed`)
    expect(second.stdout).not.toContain('signing in')
    expect(second.stdout).toMatch(/^refreshed \(.+\) in \d+ ms, new refresh token saved$/m)
    expect(second.stdout).toContain(
      `Tokens saved:     ${tokenFile} (mode 600), with a new refresh token`,
    )
    const afterSecond = JSON.parse(await readFile(tokenFile, 'utf8'))
    expect(afterSecond.refreshToken).not.toBe(afterFirst.refreshToken)
  }, 60_000)

  it('refuses a corrupt token file instead of signing in over it', async () => {
    await writeFile(tokenFile, 'not json')
    const run = await runExample(example, { TOKEN_FILE: tokenFile })
    expect(run.exitCode).toBe(1)
    expect(run.stderr).toContain(`Failed: The token file ${tokenFile} is corrupt (not JSON)`)
    expect(await readFile(tokenFile, 'utf8')).toBe('not json')
  }, 30_000)
})

describe('the sign-in CLI against a real provider', () => {
  it('names the missing setting', async () => {
    const run = await runProgram(example, { OAUTH2_ISSUER: 'https://auth.example.com' })
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain(
      'Failed: Missing setting OAUTH2_CLIENT_ID: set it to the client id registered for this program',
    )
  }, 20_000)

  it('says clearly that the provider cannot be reached', async () => {
    const issuer = await unreachableUrl('')
    const run = await runProgram(example, {
      OAUTH2_ISSUER: issuer,
      OAUTH2_CLIENT_ID: 'sign-in-cli',
      TOKEN_FILE: tokenFile,
    })
    expect(run.exitCode).toBe(1)
    expect(run.stderr).toContain(
      `Failed: Metadata endpoint ${issuer}/.well-known/openid-configuration could not be reached (ECONNREFUSED)`,
    )
  }, 20_000)
})
