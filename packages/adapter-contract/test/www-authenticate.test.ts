import { parseWwwAuthenticate } from '@tokenflight/core'
import { describe, expect, it } from 'vitest'

describe('parseWwwAuthenticate', () => {
  describe('when an RFC 6750 Bearer challenge names an error', () => {
    it('reads the scheme in lower case and each param by its lower-case name', () => {
      const header =
        'Bearer realm="example", Error="invalid_token", error_description="The access token expired"'

      expect(parseWwwAuthenticate(header)).toEqual([
        {
          scheme: 'bearer',
          params: {
            realm: 'example',
            error: 'invalid_token',
            error_description: 'The access token expired',
          },
        },
      ])
    })
  })

  describe('when one header holds several challenges', () => {
    it('splits them where a new scheme starts, not at every comma', () => {
      const header =
        'Basic realm="simple", DPoP algs="ES256 PS256", error="use_dpop_nonce",Bearer scope="read write", realm="api"'

      expect(parseWwwAuthenticate(header)).toEqual([
        { scheme: 'basic', params: { realm: 'simple' } },
        { scheme: 'dpop', params: { algs: 'ES256 PS256', error: 'use_dpop_nonce' } },
        { scheme: 'bearer', params: { scope: 'read write', realm: 'api' } },
      ])
    })
  })

  describe('when values are quoted strings with escapes and commas, or bare tokens', () => {
    it('unescapes quoted pairs and keeps commas inside quotes', () => {
      const header = String.raw`Bearer error_description="a \"quoted\" word, a \\ backslash", error=insufficient_scope , scope = "admin"`

      expect(parseWwwAuthenticate(header)).toEqual([
        {
          scheme: 'bearer',
          params: {
            error_description: 'a "quoted" word, a \\ backslash',
            error: 'insufficient_scope',
            scope: 'admin',
          },
        },
      ])
    })
  })

  describe('when a scheme carries a token68 or nothing', () => {
    it('keeps the token68 apart from params, and reads a bare scheme', () => {
      expect(parseWwwAuthenticate('Negotiate YIIBhgYGKwYBBQUCoIIBejCCAX==, NTLM')).toEqual([
        { scheme: 'negotiate', params: {}, token68: 'YIIBhgYGKwYBBQUCoIIBejCCAX==' },
        { scheme: 'ntlm', params: {} },
      ])
    })
  })

  describe('when a param occurs twice in one challenge', () => {
    it('keeps the first, as a param may occur once', () => {
      expect(parseWwwAuthenticate('Bearer error="invalid_token", error="other"')).toEqual([
        { scheme: 'bearer', params: { error: 'invalid_token' } },
      ])
    })
  })

  describe('when the header is missing, empty or breaks the grammar', () => {
    it('returns the challenges read before the break, and never throws', () => {
      expect(parseWwwAuthenticate(null)).toEqual([])
      expect(parseWwwAuthenticate(undefined)).toEqual([])
      expect(parseWwwAuthenticate('  ,  ')).toEqual([])
      expect(parseWwwAuthenticate('realm="no scheme"')).toEqual([])
      expect(parseWwwAuthenticate('Bearer realm="unterminated')).toEqual([
        { scheme: 'bearer', params: {} },
      ])
      expect(parseWwwAuthenticate('Bearer error="invalid_token", @@@, Basic')).toEqual([
        { scheme: 'bearer', params: { error: 'invalid_token' } },
      ])
    })

    it('gives params no prototype, so a param named __proto__ is only a param', () => {
      const [challenge] = parseWwwAuthenticate('Bearer __proto__="x", constructor="y"')

      expect(Object.entries(challenge?.params ?? {})).toEqual([
        ['__proto__', 'x'],
        ['constructor', 'y'],
      ])
      expect(Object.getPrototypeOf(challenge?.params)).toBeNull()
    })
  })
})
