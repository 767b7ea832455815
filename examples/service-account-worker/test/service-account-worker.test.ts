import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runExample, runProgram, unreachableUrl } from '@tokenflight/example-support/testing'
import { describe, expect, it } from 'vitest'

const example = join(import.meta.dirname, '..')
const clientSettings = {
  OAUTH2_CLIENT_ID: 'report-worker',
  OAUTH2_CLIENT_SECRET: 'cs-worker-secret',
  API_URL: 'https://api.example.com/v1/reports',
}

describe('the service-account worker on the simulated provider', () => {
  it('mints each token before it is needed, so no job waits on a 401', async () => {
    const run = await runExample(example)
    expect(run.exitCode, run.stdout + run.stderr).toBe(0)
    expect(run.stdout).toMatch(/^token minted \(missing\) in \d+ ms$/m)
    expect(run.stdout).toMatch(/^token minted \(background\) in \d+ ms$/m)
    expect(run.stdout).toContain('400 jobs done, at most 4 at a time: 800 requests, none failed')
    expect(run.stdout).toMatch(/^401s absorbed: +0$/m)
    expect(run.stdout).toContain('As expected: no failed request, one token request per token')
  }, 40_000)
})

describe('the service-account worker with a real provider', () => {
  it('names the missing client secret and exits with code 2', async () => {
    const run = await runProgram(example, {
      ...clientSettings,
      OAUTH2_CLIENT_SECRET: '',
      OAUTH2_TOKEN_ENDPOINT: 'https://auth.example.com/oauth/token',
    })
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toMatch(/^Failed: Missing setting OAUTH2_CLIENT_SECRET: set it to /m)
  }, 15_000)

  it('names a malformed API URL', async () => {
    const run = await runProgram(example, {
      ...clientSettings,
      OAUTH2_TOKEN_ENDPOINT: 'https://auth.example.com/oauth/token',
      API_URL: 'http://api.example.com/v1/reports',
    })
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain('Failed: Malformed setting API_URL: expected')
  }, 15_000)

  it('names a private key file that is not a PEM key', async () => {
    const keyFile = join(await mkdtemp(join(tmpdir(), 'tokenflight-test-')), 'key.json')
    await writeFile(keyFile, '{"kty": "RSA"}')
    const run = await runProgram(example, {
      ...clientSettings,
      OAUTH2_CLIENT_SECRET: '',
      OAUTH2_TOKEN_ENDPOINT: 'https://auth.example.com/oauth/token',
      OAUTH2_PRIVATE_KEY_FILE: keyFile,
    })
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain(
      `Failed: Malformed setting OAUTH2_PRIVATE_KEY_FILE: ${keyFile} is not`,
    )
  }, 15_000)

  it('says that the provider cannot be reached, without printing the secret', async () => {
    const tokenEndpoint = await unreachableUrl('/oauth/token')
    const run = await runProgram(example, {
      ...clientSettings,
      OAUTH2_TOKEN_ENDPOINT: tokenEndpoint,
    })
    expect(run.exitCode).toBe(1)
    expect(run.stderr).toContain(
      `Token endpoint ${tokenEndpoint} could not be reached (ECONNREFUSED)`,
    )
    expect(run.stdout + run.stderr).not.toContain('cs-worker-secret')
    expect(run.stderr).not.toMatch(/^\s+at /m)
  }, 15_000)
})
