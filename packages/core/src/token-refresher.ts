import { RefreshCoordinator } from './refresh-coordinator.js'
import { resolveOptions, type TokenRefresherOptions } from './refresher-options.js'
import type { TokenSet } from './token-set.js'

/** Lets one caller stop waiting; a refresh shared with others goes on for them. */
export interface WaitOptions {
  signal?: AbortSignal
}

/**
 * Keeps one set of tokens fresh for any number of concurrent callers, with at most one refresh at a time.
 */
export interface TokenRefresher {
  /** Resolves a valid access token: the current one, or the one a refresh (shared with every other caller) brings. */
  getAccessToken(options?: WaitOptions): Promise<string>
  /**
   * Answers a 401 for `rejectedAccessToken`, the token that request was sent with: refreshes if it is still the
   * current token, and otherwise resolves the current one without a refresh (the 401 is stale).
   */
  refreshAfterUnauthorized(rejectedAccessToken: string, options?: WaitOptions): Promise<string>
  /** Refreshes now, or joins the refresh that is already running. */
  refresh(options?: WaitOptions): Promise<TokenSet>
  /** The tokens held now, frozen; undefined before a store has been read, after `clear()` or once the session expired. */
  getTokens(): TokenSet | undefined
  /** Replaces the tokens (after a sign-in, say), ends a session-expired state, and resolves once the store has them. */
  setTokens(tokens: TokenSet): Promise<void>
  /** Forgets the tokens (on sign-out), in memory at once and in the store by the time it resolves. */
  clear(): Promise<void>
  /**
   * Resolves once the refresh in flight and every store write made so far have settled (at most `refreshTimeoutMs`
   * later): await it before a process exits, so that a rotated refresh token is not lost on the way.
   */
  settled(): Promise<void>
}

/**
 * Creates the single-flight coordinator that every tokenflight adapter calls.
 *
 * @example
 * const refresher = createTokenRefresher({
 *   initialTokens: await loadTokens(),
 *   refresh: async ({ tokens, signal }) => {
 *     const response = await fetch(tokenUrl, {
 *       method: 'POST',
 *       body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens?.refreshToken ?? '', client_id }),
 *       signal,
 *     })
 *     return parseTokenResponse(await response.json())
 *   },
 *   onSessionExpired: () => showSignIn(),
 * })
 */
export function createTokenRefresher(options: TokenRefresherOptions): TokenRefresher {
  return new RefreshCoordinator(resolveOptions(options))
}
