import { afterEach, describe, expect, it, vi } from 'vitest'
import { createOriginFilter } from '../src/adapter/origin-filter.js'

describe('the origin allow-list of the adapters', () => {
  const isAllowed = createOriginFilter(['https://api.example.com', /^https:\/\/[a-z]+\.cdn\.test$/])

  it('allows a URL of a listed origin, with a path, a query, a fragment or nothing after it', () => {
    for (const url of [
      'https://api.example.com',
      'https://api.example.com/',
      'https://api.example.com/v1/items?page=2',
      'https://api.example.com?page=2',
      'https://api.example.com#top',
    ]) {
      expect(isAllowed?.(url), url).toBe(true)
    }
  })

  it('allows other spellings of a listed origin, which the URL parser resolves to it', () => {
    for (const url of [
      'HTTPS://API.EXAMPLE.COM/v1',
      'https://api.example.com:443/v1',
      'https://api.example.com\\v1',
      'https://user@api.example.com/v1',
    ]) {
      expect(isAllowed?.(url), url).toBe(true)
    }
  })

  it('refuses URLs that merely begin like a listed origin', () => {
    for (const url of [
      'https://api.example.com.evil.test/v1',
      'https://api.example.com:8443/v1',
      'https://api.example.com@evil.test/v1',
      'https://api.example.community/v1',
      'http://api.example.com/v1',
    ]) {
      expect(isAllowed?.(url), url).toBe(false)
    }
  })

  describe('on every request', () => {
    afterEach(() => {
      vi.unstubAllGlobals()
    })

    it('answers a URL that starts with a listed origin without parsing it', () => {
      let parsed = 0
      vi.stubGlobal(
        'URL',
        class CountingURL extends URL {
          constructor(url: string | URL, base?: string | URL) {
            super(url, base)
            parsed++
          }
        },
      )
      expect(isAllowed?.('https://api.example.com/v1/items')).toBe(true)
      expect(parsed).toBe(0)
      expect(isAllowed?.('https://eu.cdn.test/app.js')).toBe(true)
      expect(parsed).toBe(1)
    })
  })

  it('tests patterns against the parsed origin', () => {
    expect(isAllowed?.('https://eu.cdn.test/app.js')).toBe(true)
    expect(isAllowed?.('https://eu.cdn.test.evil.test/app.js')).toBe(false)
  })

  it('refuses a URL that cannot be parsed', () => {
    expect(isAllowed?.('not a url')).toBe(false)
  })
})
