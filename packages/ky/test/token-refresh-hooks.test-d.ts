import type { Hooks as Ky2Hooks } from 'ky'
import type { Hooks as Ky1Hooks } from 'ky1'
import { describe, expectTypeOf, it } from 'vitest'
import type { TokenRefreshHooks } from '../src/index.js'

describe('tokenRefreshHooks', () => {
  it('returns hooks that both ky 1 and ky 2 accept', () => {
    expectTypeOf<TokenRefreshHooks>().toExtend<Ky1Hooks>()
    expectTypeOf<TokenRefreshHooks>().toExtend<Ky2Hooks>()
  })
})
