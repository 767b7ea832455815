import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { clientCredentialsGrant, jwtBearerGrant, refreshTokenGrant } from '../src/index.js'

const endpoint = { tokenEndpoint: 'https://as.example/token' }

describe('when a grant is misconfigured', () => {
  it.each([
    [
      undefined,
      'Expected `options` to be an object with at least `clientId` and `tokenEndpoint` or `issuer`',
    ],
    [{ ...endpoint }, 'Expected `clientId` to be a non-empty string'],
    [{ ...endpoint, clientId: ' ' }, 'Expected `clientId` to be a non-empty string'],
    [{ clientId: 'app' }, 'Expected `issuer` to discover the endpoints from, or `tokenEndpoint`'],
    [
      { clientId: 'app', tokenEndpoint: 'not a url' },
      'Expected `tokenEndpoint` to be an absolute URL',
    ],
    [
      { clientId: 'app', tokenEndpoint: 'http://as.example/token' },
      'Expected `tokenEndpoint` to be an https URL (plain http is allowed for loopback addresses only)',
    ],
    [
      { clientId: 'app', issuer: 'ftp://as.example' },
      'Expected `issuer` to be an https URL (plain http is allowed for loopback addresses only)',
    ],
    [
      { ...endpoint, clientId: 'app', clientAuthentication: 'private_key_jwt' },
      "Expected `clientAuthentication` to be 'client_secret_basic', 'client_secret_post' or 'none'",
    ],
    [
      { ...endpoint, clientId: 'app', clientAuthentication: 'client_secret_post' },
      "Expected `clientSecret` with `clientAuthentication: 'client_secret_post'`",
    ],
    [
      { ...endpoint, clientId: 'app', clientSecret: 's', clientAuthentication: 'none' },
      "Expected no `clientSecret` with `clientAuthentication: 'none'`: a public client has no secret",
    ],
    [{ ...endpoint, clientId: 'app', scope: 42 }, 'Expected `scope` to be a non-empty string'],
    [
      { ...endpoint, clientId: 'app', extraParameters: { grant_type: 'password' } },
      '`extraParameters` must not set `grant_type`: it is set from the other options',
    ],
    [
      { ...endpoint, clientId: 'app', extraParameters: { audience: 1 } },
      'Expected `extraParameters.audience` to be a string',
    ],
    [{ ...endpoint, clientId: 'app', fetch: 'fetch' }, 'Expected `fetch` to be a function'],
    [{ ...endpoint, client_id: 'app' }, 'Unknown option `client_id`'],
  ])('refreshTokenGrant(%o) throws a TypeError naming the option', (options, message) => {
    expect(() => refreshTokenGrant(options as never)).toThrow(new TypeError(message))
  })

  it('refuses a refresh token in extraParameters of refreshTokenGrant', () => {
    expect(() =>
      refreshTokenGrant({ ...endpoint, clientId: 'app', extraParameters: { refresh_token: 'x' } }),
    ).toThrow('`extraParameters` must not set `refresh_token`')
  })

  it('refuses a missing client id for clientCredentialsGrant', () => {
    expect(() => clientCredentialsGrant({ ...endpoint, clientSecret: 's' } as never)).toThrow(
      new TypeError('Expected `clientId` to be a non-empty string'),
    )
  })

  it.each([
    [
      { ...endpoint, clientId: 'app' },
      'Expected `assertion` to be an object with at least `algorithm` and `key`',
    ],
    [
      { ...endpoint, clientId: 'app', assertion: { key: 'k' } },
      "Expected `assertion.algorithm` to be 'HS256' or 'RS256'",
    ],
    [
      { ...endpoint, clientId: 'app', assertion: { algorithm: 'HS256', key: '' } },
      'Expected `assertion.key` to be a non-empty string or Uint8Array, a JWK or a CryptoKey',
    ],
    [
      { ...endpoint, clientId: 'app', assertion: { algorithm: 'RS256', key: new Uint8Array(8) } },
      'Expected `assertion.key` for RS256 to be a PKCS #8 PEM string, a private JWK or a CryptoKey',
    ],
    [
      { ...endpoint, assertion: { algorithm: 'HS256', key: 'k' } },
      'Expected `clientId` or `assertion.issuer` to be a non-empty string',
    ],
    [
      { ...endpoint, clientId: 'app', assertion: { algorithm: 'HS256', key: 'k', lifetimeMs: -1 } },
      'Expected `assertion.lifetimeMs` to be a positive number of milliseconds',
    ],
    [
      { ...endpoint, clientId: 'app', assertion: { algorithm: 'HS256', key: 'k', audience: [] } },
      'Expected `assertion.audience` to be a non-empty string or array of strings',
    ],
    [
      { ...endpoint, clientId: 'app', assertion: { algorithm: 'HS256', key: 'k', kid: 'x' } },
      'Unknown option `assertion.kid`',
    ],
  ])('jwtBearerGrant(%o) throws a TypeError naming the option', (options, message) => {
    expect(() => jwtBearerGrant(options as never)).toThrow(message)
  })

  it('sends no client authentication for a jwt-bearer grant without a client id', async () => {
    const requests: { body: string; authorization: string | null }[] = []
    const refresh = jwtBearerGrant({
      ...endpoint,
      assertion: { algorithm: 'HS256', key: 'service-account-secret', issuer: 'svc@example' },
      fetch: async (_input, init) => {
        const headers = new Headers(init?.headers)
        requests.push({ body: String(init?.body), authorization: headers.get('authorization') })
        return Response.json({ access_token: 'minted', token_type: 'Bearer' })
      },
    })
    await refresh({ tokens: undefined, signal: new AbortController().signal })
    const body = new URLSearchParams(requests[0]?.body)
    expect([...body.keys()].sort()).toEqual(['assertion', 'grant_type'])
    expect(requests[0]?.authorization).toBeNull()
  })
})

describe('the main entry', () => {
  it('imports nothing from Node, so that it runs in browsers and workers', () => {
    const sourceDirectory = join(import.meta.dirname, '../src')
    for (const file of readdirSync(sourceDirectory).filter((name) => name.endsWith('.ts'))) {
      const source = readFileSync(join(sourceDirectory, file), 'utf8')
      expect(source, file).not.toMatch(/from ['"]node:|from ['"]\.\/node\//)
    }
  })
})

describe('the errors of @tokenflight/oauth2', () => {
  it("belong to core's error family, so that one instanceof catches them all", async () => {
    const { SignInError, TokenFileError } = await import('../src/node/index.js')
    const { AuthorizationServerError } = await import('../src/index.js')
    const { TokenEndpointError, TokenflightError } = await import('@tokenflight/core')
    const answered = new AuthorizationServerError('Token endpoint answered 503', {
      endpoint: 'https://auth.example.com/token',
      status: 503,
    })
    expect(answered).toBeInstanceOf(TokenEndpointError)
    expect(answered).toBeInstanceOf(TokenflightError)
    expect(new SignInError('Sign-in timed out', { reason: 'timeout' })).toBeInstanceOf(
      TokenflightError,
    )
    expect(
      new TokenFileError('Could not read the token file', {
        path: '/t.json',
        reason: 'unreadable',
      }),
    ).toBeInstanceOf(TokenflightError)
    expect(JSON.stringify(answered)).toBe(
      '{"name":"AuthorizationServerError","code":"AUTHORIZATION_SERVER_ERROR","message":"Token endpoint answered 503"}',
    )
  })
})
