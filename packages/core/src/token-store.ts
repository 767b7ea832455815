import type { TokenSet } from './token-set.js'

/**
 * Where a refresher keeps its tokens between runs; each method may return a value or a promise.
 * A store shared by several refreshers (processes, machines, tabs) adds `lock`, and `subscribe` to hear of peers.
 */
export interface TokenStore {
  get(): TokenSet | undefined | Promise<TokenSet | undefined>
  set(tokens: TokenSet): void | Promise<void>
  clear(): void | Promise<void>
  /**
   * Runs `critical` holding a lock exclusive to every refresher on the same stored session, and releases it when
   * `critical` settles; rejects with the signal's reason if the signal aborts before the lock is granted.
   */
  lock?<T>(critical: () => Promise<T>, options: { signal: AbortSignal }): Promise<T>
  /** Tells this refresher of tokens another one set, rotated or cleared (`undefined`); returns the unsubscribe. */
  subscribe?(listener: (tokens: TokenSet | undefined) => void): () => void
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
