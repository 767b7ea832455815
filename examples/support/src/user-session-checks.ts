import { describe, expect, it } from 'vitest'
import { runExample, runProgram, unreachableUrl } from './run-example.js'

/**
 * Declares the smoke test of a user-session example (settings `OAUTH2_*`, `API_URL`) on the simulated provider, run as
 * its `start` script does: it exits with code 0 after refreshing once per token, absorbing the 401s of the early
 * rejection, and failing no request.
 *
 * @example
 * describeSimulatedSession('the axios app', join(import.meta.dirname, '..'))
 */
export function describeSimulatedSession(name: string, example: string): void {
  describe(`${name} on the simulated provider`, () => {
    it('refreshes once per token, absorbs the early 401s and fails no request', async () => {
      const run = await runExample(example)
      expect(run.exitCode, run.stdout + run.stderr).toBe(0)
      expect(run.stdout).toMatch(/^refreshed \(expired\) in \d+ ms$/m)
      expect(run.stdout).toMatch(/^refreshed \(background\) in \d+ ms$/m)
      expect(run.stdout).toMatch(/^\d+ requests, none failed/m)
      expect(run.stdout).toMatch(/^401s absorbed: +[1-9]\d*, replayed with the new token/m)
      expect(run.stdout).toMatch(
        /^Provider saw: +\d+ token requests, 0 refresh tokens used twice$/m,
      )
      expect(run.stdout).toContain('As expected: no failed request, one token request per token')
    }, 30_000)
  })
}

/**
 * Declares the tests every user-session example shares, run on its `src/main.ts` alone as a user who copied it would:
 * a missing setting, a malformed one and an unreachable provider each end the run with one clear line, and no token
 * or stack trace is printed.
 *
 * @example
 * describeRealProviderSettings('the axios app', join(import.meta.dirname, '..'))
 *
 * `env` adds settings to every run, such as a `TOKEN_FILE` of the test's own.
 */
export function describeRealProviderSettings(
  name: string,
  example: string,
  env: () => Promise<Record<string, string>> = async () => ({}),
): void {
  describe(`${name} with a real provider`, () => {
    it('names a missing setting and exits with code 2', async () => {
      const run = await runProgram(example, {
        ...(await env()),
        OAUTH2_CLIENT_ID: 'my-app',
      })
      expect(run.exitCode).toBe(2)
      expect(run.stderr).toMatch(/^Failed: Missing setting OAUTH2_TOKEN_ENDPOINT: set it to /m)
    }, 15_000)

    it('names a malformed setting and exits with code 2', async () => {
      const run = await runProgram(example, {
        ...(await env()),
        OAUTH2_TOKEN_ENDPOINT: 'auth.example.com/oauth/token',
        OAUTH2_CLIENT_ID: 'my-app',
      })
      expect(run.exitCode).toBe(2)
      expect(run.stderr).toContain('Failed: Malformed setting OAUTH2_TOKEN_ENDPOINT: expected')
    }, 15_000)

    it('names the missing refresh token', async () => {
      const run = await runProgram(example, {
        ...(await env()),
        OAUTH2_TOKEN_ENDPOINT: 'https://auth.example.com/oauth/token',
        OAUTH2_CLIENT_ID: 'my-app',
        API_URL: 'https://api.example.com/v1/me',
      })
      expect(run.exitCode).toBe(2)
      expect(run.stderr).toMatch(/^Failed: Missing setting OAUTH2_REFRESH_TOKEN: set it to /m)
    }, 15_000)

    it('says that the provider cannot be reached, without printing the refresh token', async () => {
      const tokenEndpoint = await unreachableUrl('/oauth/token')
      const run = await runProgram(example, {
        ...(await env()),
        OAUTH2_TOKEN_ENDPOINT: tokenEndpoint,
        OAUTH2_CLIENT_ID: 'my-app',
        OAUTH2_REFRESH_TOKEN: 'rt-from-a-sign-in',
        API_URL: 'https://api.example.com/v1/me',
      })
      expect(run.exitCode).toBe(1)
      expect(run.stderr).toContain(
        `Token endpoint ${tokenEndpoint} could not be reached (ECONNREFUSED)`,
      )
      expect(run.stdout + run.stderr).not.toContain('rt-from-a-sign-in')
      expect(run.stderr).not.toMatch(/^\s+at /m)
    }, 15_000)
  })
}
