import { describe, expectTypeOf, it } from 'vitest'
import { withoutTokenRefresh, withTokenRefresh } from '../src/index.js'

describe('withTokenRefresh', () => {
  it('returns a function of the exact type of fetch', () => {
    expectTypeOf(withTokenRefresh).returns.toEqualTypeOf<typeof fetch>()
  })
})

describe('withoutTokenRefresh', () => {
  it('returns an init that fetch and the wrapped fetch accept', () => {
    expectTypeOf(withoutTokenRefresh).returns.toEqualTypeOf<RequestInit>()
    expectTypeOf(withoutTokenRefresh).parameter(0).toEqualTypeOf<RequestInit | undefined>()
  })

  it('leaves the global RequestInit type as it is', () => {
    expectTypeOf<RequestInit>().not.toHaveProperty('tokenRefresh')
  })
})
