import { describe, expect, it, vi } from 'vitest'
import { AuthorizationServerError } from '../src/index.js'
import { SignInError, signInWithLoopback } from '../src/node/index.js'
import {
  approveAs,
  denyConsent,
  errorOf,
  followRedirects,
  signInThroughBrowser,
  tokensOf,
} from './support/browser-sign-in.js'
import { useMockServer } from './support/mock-server.js'
import { clients, useLocalProvider } from './support/oidc-provider.js'
import { isListening, listen, redirectPortOf } from './support/ports.js'

const local = useLocalProvider()
const mock = useMockServer()

async function userinfo(accessToken: string): Promise<{ status: number; sub?: string }> {
  const response = await fetch(`${local.issuer}/me`, {
    headers: { authorization: `Bearer ${accessToken}` },
  })
  return response.ok
    ? { status: response.status, ...(await response.json()) }
    : { status: response.status }
}

describe('when a user signs in through oidc-provider login and consent pages', () => {
  it('returns tokens for that user, with a refresh token and an expiry', async () => {
    const before = Date.now()
    const signIn = await signInThroughBrowser(
      { issuer: local.issuer, clientId: clients.cli, scope: 'openid offline_access' },
      approveAs('alice'),
    )
    const tokens = tokensOf(signIn)
    expect(await userinfo(tokens.accessToken)).toEqual({ status: 200, sub: 'alice' })
    expect(tokens.refreshToken).toEqual(expect.any(String))
    expect(tokens.tokenType).toBe('Bearer')
    expect(tokens.expiresAt).toBeGreaterThanOrEqual(before + 9_000)
    expect(tokens.expiresAt).toBeLessThanOrEqual(Date.now() + 10_000)
  })

  it('sends PKCE S256, a state and a 127.0.0.1 redirect URI, and exchanges the code once', async () => {
    const codesBefore = local.grants.succeeded.get('authorization_code') ?? 0
    const signIn = await signInThroughBrowser(
      { issuer: local.issuer, clientId: clients.cli, scope: 'openid' },
      approveAs('bob'),
    )
    tokensOf(signIn)
    const query = new URL(signIn.browser.visited[0] ?? '').searchParams
    expect(query.get('response_type')).toBe('code')
    expect(query.get('code_challenge_method')).toBe('S256')
    expect(query.get('code_challenge')).toMatch(/^[\w-]{43}$/)
    expect(query.get('state')).toMatch(/^[\w-]{20,}$/)
    expect(query.get('redirect_uri')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/)
    expect(local.grants.succeeded.get('authorization_code')).toBe(codesBefore + 1)
  })

  it('answers the browser with a short page and closes the callback server', async () => {
    const signIn = await signInThroughBrowser(
      { issuer: local.issuer, clientId: clients.cli, scope: 'openid' },
      approveAs('carol'),
    )
    tokensOf(signIn)
    expect(signIn.lastPage?.status).toBe(200)
    expect(signIn.lastPage?.html).toContain('Signed in')
    expect(await isListening(redirectPortOf(signIn.browser.visited[0] ?? ''))).toBe(false)
  })

  it('prints the authorization URL, whether or not a browser opens', async () => {
    const signIn = await signInThroughBrowser(
      { issuer: local.issuer, clientId: clients.cli, scope: 'openid' },
      approveAs('dave'),
    )
    tokensOf(signIn)
    expect(signIn.log.join('\n')).toContain(signIn.browser.visited[0])
  })

  it('authenticates a confidential client with client_secret_basic at the code exchange', async () => {
    const signIn = await signInThroughBrowser(
      {
        issuer: local.issuer,
        clientId: clients.web,
        clientSecret: clients.webSecret,
        scope: 'openid offline_access',
      },
      approveAs('erin'),
    )
    expect(await userinfo(tokensOf(signIn).accessToken)).toEqual({ status: 200, sub: 'erin' })
  })

  it('listens on the port it is given', async () => {
    const free = await listen(() => {})
    const port = Number(new URL(free.url).port)
    await free.close()
    const signIn = await signInThroughBrowser(
      { issuer: local.issuer, clientId: clients.cli, scope: 'openid', port },
      approveAs('frank'),
    )
    tokensOf(signIn)
    expect(redirectPortOf(signIn.browser.visited[0] ?? '')).toBe(port)
  })
})

describe('when the user denies consent', () => {
  it('rejects with the access_denied the provider redirected with, and exchanges no code', async () => {
    const codesBefore = local.grants.succeeded.get('authorization_code') ?? 0
    const signIn = await signInThroughBrowser(
      { issuer: local.issuer, clientId: clients.cli, scope: 'openid' },
      denyConsent,
    )
    const error = errorOf(signIn)
    expect(error).toBeInstanceOf(SignInError)
    expect(error).toMatchObject({ reason: 'authorization-error', error: 'access_denied' })
    expect((error as Error).message).toBe(
      'The authorization server refused the sign-in: access_denied (End-User aborted interaction)',
    )
    expect(signIn.lastPage?.status).toBe(400)
    expect(signIn.lastPage?.html).toContain('access_denied')
    expect(local.grants.succeeded.get('authorization_code') ?? 0).toBe(codesBefore)
    expect(await isListening(redirectPortOf(signIn.browser.visited[0] ?? ''))).toBe(false)
  })
})

describe('when the callback carries a wrong state', () => {
  it('rejects without exchanging the code, and tells the browser why', async () => {
    const codesBefore = local.grants.succeeded.get('authorization_code') ?? 0
    const signIn = await signInThroughBrowser(
      { issuer: local.issuer, clientId: clients.cli, scope: 'openid' },
      approveAs('mallory'),
      {
        beforeRedirect: (location) => {
          if (location.pathname === '/callback') location.searchParams.set('state', 'forged')
          return location
        },
      },
    )
    const error = errorOf(signIn)
    expect(error).toBeInstanceOf(SignInError)
    expect(error).toMatchObject({ reason: 'invalid-callback' })
    expect((error as Error).message).toContain('wrong `state`')
    expect(signIn.lastPage?.status).toBe(400)
    expect(signIn.lastPage?.html).toContain('wrong `state`')
    expect(local.grants.succeeded.get('authorization_code') ?? 0).toBe(codesBefore)
  })

  it('rejects a callback without any state', async () => {
    const signIn = await signInThroughBrowser(
      { issuer: local.issuer, clientId: clients.cli, scope: 'openid' },
      approveAs('mallory'),
      {
        beforeRedirect: (location) => {
          if (location.pathname === '/callback') location.searchParams.delete('state')
          return location
        },
      },
    )
    expect(errorOf(signIn)).toMatchObject({ reason: 'invalid-callback' })
    expect((errorOf(signIn) as Error).message).toContain('no `state`')
  })

  it('rejects a callback from another issuer', async () => {
    const signIn = await signInThroughBrowser(
      { issuer: local.issuer, clientId: clients.cli, scope: 'openid' },
      approveAs('mallory'),
      {
        beforeRedirect: (location) => {
          if (location.pathname === '/callback') {
            location.searchParams.set('iss', 'https://attacker.example')
          }
          return location
        },
      },
    )
    expect(errorOf(signIn)).toMatchObject({ reason: 'invalid-callback' })
    expect((errorOf(signIn) as Error).message).toContain('"iss"')
  })
})

describe('when no callback ever comes', () => {
  it('times out with a clear message and leaves no server behind', async () => {
    const servers = () =>
      process.getActiveResourcesInfo().filter((kind) => kind === 'TCPServerWrap').length
    const before = servers()
    let authorizationUrl = ''
    const error = await signInWithLoopback({
      issuer: local.issuer,
      clientId: clients.cli,
      timeoutMs: 200,
      log: () => {},
      openBrowser: (url) => {
        authorizationUrl = url
      },
    }).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(SignInError)
    expect(error).toMatchObject({ reason: 'timeout' })
    expect((error as Error).message).toBe('Sign-in did not finish within 200 ms')
    expect(await isListening(redirectPortOf(authorizationUrl))).toBe(false)
    // A closed server leaves the list of active resources a turn or two of the event loop later.
    await vi.waitFor(() => expect(servers()).toBe(before))
  })
})

describe('when the sign-in is aborted', () => {
  it('rejects with reason aborted and closes the callback server', async () => {
    const controller = new AbortController()
    let authorizationUrl = ''
    const signIn = signInWithLoopback({
      issuer: local.issuer,
      clientId: clients.cli,
      signal: controller.signal,
      log: () => {},
      openBrowser: (url) => {
        authorizationUrl = url
        setTimeout(() => controller.abort(), 10)
      },
    })
    await expect(signIn).rejects.toMatchObject({ name: 'SignInError', reason: 'aborted' })
    expect(await isListening(redirectPortOf(authorizationUrl))).toBe(false)
  })
})

describe('when the callback port is taken', () => {
  it('rejects with a message naming the port', async () => {
    const taken = await listen(() => {})
    const port = Number(new URL(taken.url).port)
    try {
      const error = await signInWithLoopback({
        issuer: local.issuer,
        clientId: clients.cli,
        port,
        log: () => {},
        openBrowser: false,
      }).catch((caught: unknown) => caught)
      expect(error).toMatchObject({ name: 'SignInError', reason: 'callback-server' })
      expect((error as Error).message).toBe(
        `Could not listen on 127.0.0.1:${port} for the sign-in callback (EADDRINUSE)`,
      )
    } finally {
      await taken.close()
    }
  })
})

describe('when opening a browser fails', () => {
  it('still prints the URL and goes on waiting for the callback', async () => {
    const log: string[] = []
    const error = await signInWithLoopback({
      issuer: local.issuer,
      clientId: clients.cli,
      timeoutMs: 100,
      log: (line) => log.push(line),
      openBrowser: () => {
        throw new Error('no browser here')
      },
    }).catch((caught: unknown) => caught)
    expect(error).toMatchObject({ reason: 'timeout' })
    expect(log.join('\n')).toMatch(
      /^Open this URL in a browser to sign in:\n {2}http:\/\/127\.0\.0\.1:\d+\/auth\?/,
    )
  })
})

describe('when signing in at oauth2-mock-server with endpoints instead of an issuer', () => {
  it('passes its PKCE check and returns its tokens', async () => {
    const signIn = await signInThroughBrowser(
      {
        authorizationEndpoint: `${mock.issuer}/authorize`,
        tokenEndpoint: mock.tokenEndpoint,
        clientId: 'mock-cli',
        scope: 'openid profile',
      },
      followRedirects,
    )
    const tokens = tokensOf(signIn)
    expect(tokens.refreshToken).toEqual(expect.any(String))
    const request = mock.tokenRequests.at(-1)?.body
    expect(request).toMatchObject({ grant_type: 'authorization_code', client_id: 'mock-cli' })
    expect(request?.code_verifier).toMatch(/^[\w-]{43}$/)
  })

  it('reports a code the server refuses as an AuthorizationServerError', async () => {
    const refuse = (response: { statusCode: number; body: unknown }) => {
      response.statusCode = 400
      response.body = { error: 'invalid_grant', error_description: 'code expired' }
    }
    mock.server.service.once('beforeResponse', refuse)
    const signIn = await signInThroughBrowser(
      {
        authorizationEndpoint: `${mock.issuer}/authorize`,
        tokenEndpoint: mock.tokenEndpoint,
        clientId: 'mock-cli',
      },
      followRedirects,
    )
    const error = errorOf(signIn)
    expect(error).toBeInstanceOf(AuthorizationServerError)
    expect(error).toMatchObject({ error: 'invalid_grant', status: 400 })
    expect(signIn.lastPage?.status).toBe(400)
  })
})

describe('when the options are wrong', () => {
  it.each([
    [{ issuer: 'https://as.example' }, 'Expected `clientId` to be a non-empty string'],
    [
      { clientId: 'cli' },
      'Expected `issuer` to discover the endpoints from, or `authorizationEndpoint` and `tokenEndpoint`',
    ],
    [
      { clientId: 'cli', tokenEndpoint: 'https://as.example/token' },
      'Expected `issuer` to discover the endpoints from, or `authorizationEndpoint`',
    ],
    [
      { clientId: 'cli', issuer: 'http://as.example' },
      'Expected `issuer` to be an https URL (plain http is allowed for loopback addresses only)',
    ],
    [
      { clientId: 'cli', issuer: 'https://as.example', port: 70_000 },
      'Expected `port` to be an integer from 0 to 65535',
    ],
    [
      { clientId: 'cli', issuer: 'https://as.example', callbackPath: 'callback' },
      "Expected `callbackPath` to be a path starting with '/'",
    ],
    [
      { clientId: 'cli', issuer: 'https://as.example', timeoutMs: 0 },
      'Expected `timeoutMs` to be a positive number of milliseconds',
    ],
    [
      { clientId: 'cli', issuer: 'https://as.example', authorizationParameters: { state: 'x' } },
      '`authorizationParameters` must not set `state`: it is set from the other options',
    ],
    [
      { clientId: 'cli', issuer: 'https://as.example', redirectUri: 'x' },
      'Unknown option `redirectUri`',
    ],
  ])('rejects %o with a TypeError naming the option', async (options, message) => {
    const error = await signInWithLoopback(options as never).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(TypeError)
    expect((error as Error).message).toBe(message)
  })
})
