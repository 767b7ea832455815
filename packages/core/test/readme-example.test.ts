import { readFileSync } from 'node:fs'
import { afterEach, describe, expect, it, vi } from 'vitest'
import * as core from '../src/index.js'

// The README's example is run as written: its import line is replaced by the same names from source.
function readmeExample(): string {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
  const section = readme.slice(readme.indexOf('## Example'))
  const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1]
  if (code === undefined) throw new Error('README has no example block')
  return code.replace(/^import .*$/m, '')
}

type AsyncFunctionConstructor = new (
  ...parameters: string[]
) => (...args: unknown[]) => Promise<unknown>
const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as AsyncFunctionConstructor

describe('the README example', () => {
  afterEach(() => {
    vi.unstubAllGlobals()
  })

  it('refreshes an expired token through the token endpoint and calls the API with the new one', async () => {
    const requests: Array<{ url: string; authorization: string | null; body: string }> = []
    vi.stubGlobal('fetch', async (url: string, init: RequestInit = {}) => {
      requests.push({
        url,
        authorization: new Headers(init.headers).get('authorization'),
        body: String(init.body ?? ''),
      })
      if (url === 'https://auth.example.com/oauth/token') {
        return Response.json({
          access_token: 'fresh',
          refresh_token: 'r2',
          expires_in: 3600,
          token_type: 'Bearer',
        })
      }
      return new Response('ok')
    })
    const showSignIn = vi.fn()

    const run = new AsyncFunction(
      'createTokenRefresher',
      'parseTokenResponse',
      'SessionExpiredError',
      'accessToken',
      'refreshToken',
      'expiresAt',
      'showSignIn',
      'url',
      `${readmeExample()}\nreturn { refresher, response }`,
    )
    const { refresher, response } = (await run(
      core.createTokenRefresher,
      core.parseTokenResponse,
      core.SessionExpiredError,
      'stale',
      'r1',
      Date.now() - 1,
      showSignIn,
      'https://api.example.com/v1/me',
    )) as { refresher: core.TokenRefresher; response: Response }

    expect(await response.text()).toBe('ok')
    expect(requests).toEqual([
      {
        url: 'https://auth.example.com/oauth/token',
        authorization: null,
        body: 'grant_type=refresh_token&refresh_token=r1&client_id=my-app',
      },
      { url: 'https://api.example.com/v1/me', authorization: 'Bearer fresh', body: '' },
    ])
    expect(refresher.getTokens()?.refreshToken).toBe('r2')
    expect(showSignIn).not.toHaveBeenCalled()
  })
})
