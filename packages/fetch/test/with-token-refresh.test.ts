import { createTokenRefresher, type TokenRefresher } from '@tokenflight/core'
import { describe, expect, it, vi } from 'vitest'
import { withTokenRefresh } from '../src/index.js'

// These tests look at what the wrapper hands to the fetch it wraps; the contract suite covers the behaviours.
const apiUrl = 'https://api.example.test/me'

function refresherWith(accessToken: string, refreshed = 'refreshed'): TokenRefresher {
  return createTokenRefresher({
    refresh: async () => ({ accessToken: refreshed }),
    initialTokens: { accessToken },
  })
}

/** A fetch that answers the given statuses in turn and remembers what it was called with. */
function recordingFetch(...statuses: number[]) {
  const calls: Array<{ input: RequestInfo | URL; init: RequestInit | undefined }> = []
  const fetch = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    calls.push({ input, init })
    return new Response(null, { status: statuses[calls.length - 1] ?? 200 })
  })
  return { fetch, calls }
}

describe('withTokenRefresh', () => {
  describe('when a request is replayed with a reusable body', () => {
    it('sends the very same body object again, without copying it', async () => {
      const { fetch, calls } = recordingFetch(401, 200)
      const body = new FormData()
      body.append('field', 'value')

      await withTokenRefresh(fetch, refresherWith('a'))(apiUrl, { method: 'POST', body })

      expect(calls.map((call) => call.init?.body)).toEqual([body, body])
      expect(calls.map((call) => new Headers(call.init?.headers).get('authorization'))).toEqual([
        'Bearer a',
        'Bearer refreshed',
      ])
    })
  })

  describe('when the request is a Request without a body and is replayed', () => {
    it('sends the very same Request again, without copying it', async () => {
      const { fetch, calls } = recordingFetch(401, 200)
      const request = new Request(apiUrl)

      await withTokenRefresh(fetch, refresherWith('a'))(request)

      expect(calls.map((call) => call.input)).toEqual([request, request])
      expect(calls.every((call) => call.input === request)).toBe(true)
    })
  })

  describe('when init has headers and the input is a Request with headers', () => {
    it('sends the headers of init, as fetch itself would', async () => {
      const { fetch, calls } = recordingFetch(200)
      const request = new Request(apiUrl, { headers: { 'X-From': 'request' } })

      await withTokenRefresh(fetch, refresherWith('a'))(request, { headers: { 'X-From': 'init' } })

      const sent = new Headers(calls[0]?.init?.headers)
      expect([sent.get('x-from'), sent.get('authorization')]).toEqual(['init', 'Bearer a'])
    })
  })

  describe('when the caller sets its own Authorization, in any form headers take', () => {
    it.each([
      ['a record, in any letter case', { AUTHORIZATION: 'Basic b3du' }],
      ['an array of pairs', [['Authorization', 'Basic b3du']]],
      ['a Headers object', new Headers({ authorization: 'Basic b3du' })],
    ] as Array<[string, HeadersInit]>)('leaves %s alone', async (_form, headers) => {
      const { fetch, calls } = recordingFetch(200)

      await withTokenRefresh(fetch, refresherWith('a'))(apiUrl, { headers })

      expect(new Headers(calls[0]?.init?.headers).get('authorization')).toBe('Basic b3du')
    })
  })

  describe('when the caller sets other headers, in any form headers take', () => {
    it.each([
      ['a record', { 'X-Trace': 't1' }],
      ['an array of pairs', [['X-Trace', 't1']]],
      ['a Headers object', new Headers({ 'x-trace': 't1' })],
    ] as Array<[string, HeadersInit]>)(
      'keeps them in %s and adds the token, on the first request and on the replay',
      async (_form, headers) => {
        const { fetch, calls } = recordingFetch(401, 200)

        await withTokenRefresh(fetch, refresherWith('a', 'b'))(apiUrl, { headers })

        expect(
          calls.map((call) => {
            const sent = new Headers(call.init?.headers)
            return [sent.get('x-trace'), sent.get('authorization')]
          }),
        ).toEqual([
          ['t1', 'Bearer a'],
          ['t1', 'Bearer b'],
        ])
        expect(new Headers(headers).has('authorization')).toBe(false)
      },
    )
  })

  describe('when the input is a URL object', () => {
    it('checks its origin against the allow-list', async () => {
      const { fetch, calls } = recordingFetch(200, 200)
      const apiFetch = withTokenRefresh(fetch, refresherWith('a'), {
        origins: ['https://api.example.test'],
      })

      await apiFetch(new URL(apiUrl))
      await apiFetch(new URL('https://cdn.example.test/app.js'))

      expect(calls.map((call) => new Headers(call.init?.headers).has('authorization'))).toEqual([
        true,
        false,
      ])
    })
  })

  describe('when the wrapped fetch rejects', () => {
    it('hands its error to the caller unchanged', async () => {
      const failure = new TypeError('fetch failed')
      const apiFetch = withTokenRefresh(() => Promise.reject(failure), refresherWith('a'))

      await expect(apiFetch(apiUrl)).rejects.toBe(failure)
    })
  })

  describe('when the Request it is given cannot be sent, its body already read', () => {
    it('rejects with the TypeError of the copy, as fetch rejects rather than throws', async () => {
      const { fetch, calls } = recordingFetch(200)
      const request = new Request(apiUrl, { method: 'POST', body: 'once' })
      await request.text()

      const call = withTokenRefresh(fetch, refresherWith('a'))(request)

      await expect(call).rejects.toBeInstanceOf(TypeError)
      expect(calls).toHaveLength(0)
    })
  })

  describe('when it is given something other than a function to wrap', () => {
    it('throws a TypeError naming `fetch`', () => {
      expect(() => withTokenRefresh('fetch' as never, refresherWith('a'))).toThrow(/`fetch`/)
    })
  })
})
