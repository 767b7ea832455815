import type { AxiosRequestConfig } from 'axios'
import { describe, expectTypeOf, it } from 'vitest'
import type { attachTokenRefresh } from '../src/index.js'

describe('attachTokenRefresh', () => {
  it('adds a typed tokenRefresh flag to the request config', () => {
    expectTypeOf<AxiosRequestConfig['tokenRefresh']>().toEqualTypeOf<boolean | undefined>()
  })

  it('returns the function that detaches it', () => {
    expectTypeOf<typeof attachTokenRefresh>().returns.toEqualTypeOf<() => void>()
  })

  it('keeps its mark of the credentials a request was sent with out of the public config type', () => {
    expectTypeOf<AxiosRequestConfig>().not.toHaveProperty('tokenflightCredentials')
  })
})
