import { describe, expect, it } from 'vitest'
import {
  createTokenRefresher,
  isExpired,
  isInvalidGrant,
  memoryTokenStore,
  parseTokenResponse,
  readJwtExpiresAt,
  redactTokenLike,
  SessionExpiredError,
  TokenEndpointError,
} from '../src/index.js'

const now = () => 1_700_000_000_000

function jwt(claims: Record<string, unknown>): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
  return `${encode({ alg: 'RS256', typ: 'JWT' })}.${encode(claims)}.c2lnbmF0dXJl`
}

describe('parseTokenResponse', () => {
  it('builds a token set from a standard token response, counting expires_in from receipt', () => {
    expect(
      parseTokenResponse(
        {
          access_token: 'at',
          token_type: 'bearer',
          expires_in: 3600,
          refresh_token: 'rt',
          scope: 'data:read',
        },
        { now },
      ),
    ).toEqual({
      accessToken: 'at',
      tokenType: 'Bearer',
      expiresAt: now() + 3_600_000,
      refreshToken: 'rt',
      scope: 'data:read',
    })
  })

  it('accepts expires_in sent as a string', () => {
    expect(parseTokenResponse({ access_token: 'at', expires_in: '60' }, { now }).expiresAt).toBe(
      now() + 60_000,
    )
  })

  it('keeps a token type other than Bearer as sent', () => {
    expect(parseTokenResponse({ access_token: 'at', token_type: 'DPoP' }).tokenType).toBe('DPoP')
  })

  it('reads the expiry from a JWT access token when expires_in is absent', () => {
    const accessToken = jwt({ sub: 'u1', exp: 1_700_000_600 })

    expect(parseTokenResponse({ access_token: accessToken }).expiresAt).toBe(1_700_000_600_000)
  })

  it('leaves expiresAt unknown for an opaque token without expires_in', () => {
    expect(parseTokenResponse({ access_token: 'opaque' })).toEqual({ accessToken: 'opaque' })
  })

  it.each([
    [null, 'Expected the token response to be a JSON object, got null'],
    ['<html>', 'Expected the token response to be a JSON object, got a string'],
    [{}, 'Expected `access_token` in the token response to be a non-empty string, got undefined'],
    [
      { access_token: 'at', expires_in: 'soon' },
      'Expected `expires_in` in the token response to be a non-negative number of seconds, got a string',
    ],
    [
      { access_token: 'at', expires_in: -5 },
      'Expected `expires_in` in the token response to be a non-negative number of seconds, got a number',
    ],
    [
      { access_token: 'at', refresh_token: 42 },
      'Expected `refresh_token` in the token response to be a non-empty string, got a number',
    ],
    [
      { access_token: 'at', token_type: '' },
      'Expected `token_type` in the token response to be a non-empty string, got an empty string',
    ],
  ])('throws a TypeError naming the field for %o', (body, message) => {
    expect(() => parseTokenResponse(body)).toThrow(new TypeError(message))
  })

  it('throws an error carrying the RFC 6749 error code for an error response', () => {
    let error: unknown
    try {
      parseTokenResponse({
        error: 'invalid_grant',
        error_description: 'The refresh token has expired',
      })
    } catch (caught) {
      error = caught
    }

    expect((error as Error).message).toBe(
      'Token endpoint answered invalid_grant: The refresh token has expired',
    )
    expect(error).toBeInstanceOf(TokenEndpointError)
    expect(error).toMatchObject({
      code: 'TOKEN_ENDPOINT_ERROR',
      error: 'invalid_grant',
      errorDescription: 'The refresh token has expired',
    })
    expect(isInvalidGrant(error)).toBe(true)
  })

  it('cleans a quoted token out of the description before it reaches the message', () => {
    const refreshToken = 'rt_7Hq2vL0aP9mZ4kR7xW'
    let error: unknown
    try {
      parseTokenResponse({
        error: 'invalid_grant',
        error_description: `Token ${refreshToken} revoked`,
      })
    } catch (caught) {
      error = caught
    }
    expect((error as Error).message).toBe(
      'Token endpoint answered invalid_grant: Token [redacted] revoked',
    )
    expect(JSON.stringify(error)).not.toContain(refreshToken)
  })

  it('makes a refresher end the session when the token endpoint answers invalid_grant', async () => {
    const refresher = createTokenRefresher({
      initialTokens: { accessToken: 'a', refreshToken: 'r1' },
      refresh: async () => parseTokenResponse({ error: 'invalid_grant' }),
    })

    await expect(refresher.refresh()).rejects.toBeInstanceOf(SessionExpiredError)
  })
})

describe('readJwtExpiresAt', () => {
  it('reads exp as epoch milliseconds without verifying the signature', () => {
    expect(readJwtExpiresAt(jwt({ exp: 1_900_000_000 }))).toBe(1_900_000_000_000)
  })

  it.each([
    ['an opaque token', 'a1b2c3'],
    ['a JWT without exp', jwt({ sub: 'u1' })],
    ['a JWT whose exp is a string', jwt({ exp: '1900000000' })],
    ['a token whose payload is not JSON', 'aGVhZGVy.bm90IGpzb24.c2ln'],
    ['a token with four parts', 'a.b.c.d'],
  ])('returns undefined for %s', (_kind, token) => {
    expect(readJwtExpiresAt(token)).toBeUndefined()
  })
})

describe('isExpired', () => {
  it('counts missing tokens as expired and tokens without expiresAt as valid', () => {
    expect(isExpired(undefined)).toBe(true)
    expect(isExpired({ accessToken: 'a' }, { now })).toBe(false)
  })

  it('compares expiresAt minus the margin with the clock', () => {
    const tokens = { accessToken: 'a', expiresAt: now() + 60_000 }

    expect(isExpired(tokens, { now })).toBe(false)
    expect(isExpired(tokens, { now, marginMs: 59_999 })).toBe(false)
    expect(isExpired(tokens, { now, marginMs: 60_000 })).toBe(true)
  })
})

describe('memoryTokenStore', () => {
  it('holds what was set until cleared', async () => {
    const store = memoryTokenStore({ accessToken: 'a' })

    expect(await store.get()).toEqual({ accessToken: 'a' })
    await store.set({ accessToken: 'b' })
    expect(await store.get()).toEqual({ accessToken: 'b' })
    await store.clear()
    expect(await store.get()).toBeUndefined()
  })
})

describe('redactTokenLike', () => {
  it.each([
    [
      'refresh token rt_7Hq2vL0aP9mZ4kR7xW was already used',
      'refresh token [redacted] was already used',
    ],
    ['jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc123def', 'jwt [redacted]'],
    [
      'grant type authorization_code is not allowed',
      'grant type authorization_code is not allowed',
    ],
    ['Client authentication failed', 'Client authentication failed'],
  ])('turns %o into %o', (text, cleaned) => {
    expect(redactTokenLike(text)).toBe(cleaned)
  })
})
