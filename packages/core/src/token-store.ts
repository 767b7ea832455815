import type { TokenSet } from './token-set.js'

/**
 * Where a refresher keeps its tokens between runs; each method may return a value or a promise.
 */
export interface TokenStore {
  get(): TokenSet | undefined | Promise<TokenSet | undefined>
  set(tokens: TokenSet): void | Promise<void>
  clear(): void | Promise<void>
}

/**
 * A store that keeps tokens in memory only, the default of `createTokenRefresher`.
 *
 * @example
 * const store = memoryTokenStore({ accessToken, refreshToken })
 */
export function memoryTokenStore(initialTokens?: TokenSet): TokenStore {
  let tokens = initialTokens
  return {
    get: () => tokens,
    set: (next) => {
      tokens = next
    },
    clear: () => {
      tokens = undefined
    },
  }
}
