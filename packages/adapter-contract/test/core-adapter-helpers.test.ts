import { createTokenRefresher } from '@tokenflight/core'
import {
  authorizationFor,
  createAuthorizationPolicy,
  createOriginFilter,
  fetchResponseAccess,
  isReplayableBody,
} from '@tokenflight/core/adapter'
import { describe, expect, it } from 'vitest'

const refresh = () => Promise.reject(new Error('not expected to refresh'))

describe('authorizationFor', () => {
  describe('when the token is the one the refresher holds', () => {
    it('uses the token type of its token set', () => {
      const refresher = createTokenRefresher({
        refresh,
        initialTokens: { accessToken: 'abc', tokenType: 'DPoP' },
      })

      expect(authorizationFor(refresher, 'abc')).toBe('DPoP abc')
    })

    it('defaults to Bearer when the token set has no type', () => {
      const refresher = createTokenRefresher({ refresh, initialTokens: { accessToken: 'abc' } })

      expect(authorizationFor(refresher, 'abc')).toBe('Bearer abc')
    })
  })

  describe('when the refresher has replaced the token already', () => {
    it('does not borrow the type of the newer token set', () => {
      const refresher = createTokenRefresher({
        refresh,
        initialTokens: { accessToken: 'new', tokenType: 'MAC' },
      })

      expect(authorizationFor(refresher, 'old')).toBe('Bearer old')
    })
  })
})

describe('createOriginFilter', () => {
  describe('when no list is given', () => {
    it('returns undefined, which allows every origin', () => {
      expect(createOriginFilter(undefined)).toBeUndefined()
    })
  })

  describe('when the list holds origins and patterns', () => {
    const isAllowed = createOriginFilter([
      'https://api.example.com',
      'http://localhost:8080/',
      /^https:\/\/[a-z]+\.example\.org$/g,
    ])

    it('allows URLs on a listed origin, whatever their path', () => {
      expect(isAllowed?.('https://api.example.com/v1/me?x=1')).toBe(true)
      expect(isAllowed?.('http://localhost:8080/')).toBe(true)
    })

    it('refuses other schemes, ports and look-alike hosts', () => {
      expect(isAllowed?.('http://api.example.com/')).toBe(false)
      expect(isAllowed?.('https://api.example.com:8443/')).toBe(false)
      expect(isAllowed?.('https://api.example.com.evil.test/')).toBe(false)
    })

    it('tests patterns against the origin on every call, even a global pattern', () => {
      expect(isAllowed?.('https://eu.example.org/a')).toBe(true)
      expect(isAllowed?.('https://eu.example.org/b')).toBe(true)
      expect(isAllowed?.('https://eu.example.org.evil.test/')).toBe(false)
    })

    it('refuses a relative URL when there is no page to resolve it against', () => {
      expect(isAllowed?.('/v1/me')).toBe(false)
    })
  })

  describe('when the list is misused', () => {
    it('throws a TypeError naming `origins` for a URL with a path, a non-URL or a non-array', () => {
      expect(() => createOriginFilter(['https://api.example.com/v1'])).toThrow(
        /`origins`.*'https:\/\/api\.example\.com\/v1'/,
      )
      expect(() => createOriginFilter(['api.example.com'])).toThrow(/`origins`/)
      expect(() => createOriginFilter('https://api.example.com' as never)).toThrow(/`origins`/)
    })
  })
})

describe('isReplayableBody', () => {
  it('accepts bodies that can be sent twice', () => {
    const bodies = [
      undefined,
      null,
      'text',
      { json: true },
      new URLSearchParams('a=1'),
      new FormData(),
      new Blob(['x']),
      new ArrayBuffer(2),
      new Uint8Array(2),
    ]
    expect(bodies.map(isReplayableBody)).toEqual(bodies.map(() => true))
  })

  it('refuses streams and async iterables, which are read once', () => {
    const stream = new ReadableStream()
    const nodeStreamLike = { pipe: () => {} }
    const iterable = (async function* () {})()
    expect([stream, nodeStreamLike, iterable].map(isReplayableBody)).toEqual([false, false, false])
  })
})

describe('createAuthorizationPolicy', () => {
  const refresher = createTokenRefresher({ refresh, initialTokens: { accessToken: 'abc' } })

  describe('with the default isUnauthorized', () => {
    const policy = createAuthorizationPolicy(refresher, undefined, fetchResponseAccess)
    const response = (status: number, challenge?: string) =>
      new Response(null, {
        status,
        headers: challenge === undefined ? {} : { 'WWW-Authenticate': challenge },
      })

    it('takes a 401 for a rejected token, whatever its challenge says but a missing scope', () => {
      expect(
        [
          response(401),
          response(401, 'Bearer error="invalid_token"'),
          response(401, 'Basic realm="x", Bearer error="insufficient_scope"'),
          response(403, 'Bearer error="insufficient_scope"'),
          response(403),
          response(200),
        ].map((each) => policy.isUnauthorized(each)),
      ).toEqual([true, true, false, false, false, false])
    })
  })

  describe('when a request carries the credentials it handed out', () => {
    it('keeps the token out of their JSON and inspect output', async () => {
      const policy = createAuthorizationPolicy(refresher, undefined, fetchResponseAccess)

      const credentials = await policy.authorize()

      expect(credentials.headers).toEqual({ authorization: 'Bearer abc' })
      expect(JSON.stringify({ credentials })).not.toContain('abc')
      expect(String((await import('node:util')).inspect(credentials))).not.toContain('abc')
    })
  })

  describe('authorizeNow', () => {
    it('hands out the credentials authorize resolves with, without a promise, while the token is fresh', async () => {
      const fresh = createTokenRefresher({
        refresh,
        initialTokens: { accessToken: 'abc', expiresAt: Date.now() + 3_600_000 },
      })
      const policy = createAuthorizationPolicy(fresh, undefined, fetchResponseAccess)

      const now = policy.authorizeNow()

      expect(now).toBe(await policy.authorize())
      expect(now?.headers).toEqual({ authorization: 'Bearer abc' })
      expect(now?.isReplay).toBe(false)
    })

    it('keeps the place of the attempt it sends again: a replay stays a replay', async () => {
      const rotating = createTokenRefresher({
        refresh: async () => ({ accessToken: 'def', expiresAt: Date.now() + 3_600_000 }),
        initialTokens: { accessToken: 'abc', expiresAt: Date.now() + 3_600_000 },
      })
      const policy = createAuthorizationPolicy(rotating, undefined, fetchResponseAccess)
      const first = await policy.authorize()
      const replay = await policy.replayAfterUnauthorized(
        first,
        new Response(null, { status: 401 }),
        async (credentials) => credentials,
      )

      const again = policy.authorizeNow({ previous: replay })

      expect(replay?.isReplay).toBe(true)
      expect(again?.headers).toEqual({ authorization: 'Bearer def' })
      expect(again?.isReplay).toBe(true)
    })

    it('hands out nothing, and starts nothing, when the adapter must wait for a refresh', () => {
      let refreshes = 0
      const due = createTokenRefresher({
        refresh: async () => {
          refreshes++
          return { accessToken: 'new', expiresAt: Date.now() + 3_600_000 }
        },
        initialTokens: { accessToken: 'old', expiresAt: Date.now() - 1 },
      })
      const policy = createAuthorizationPolicy(due, undefined, fetchResponseAccess)

      expect(policy.authorizeNow()).toBeUndefined()
      expect(refreshes).toBe(0)
    })
  })
})
