import type { DPoPHandle } from './dpop-handle.js'
import type { SessionExpiredError } from './errors.js'
import type { TokenRefreshEvent } from './events.js'
import { isInvalidGrant } from './failure-classification.js'
import { hasMethods, rejectUnknownOptions } from './option-checks.js'
import { describeInvalidTokenSet, type TokenSet } from './token-set.js'
import type { TokenStore } from './token-store.js'

/**
 * Obtains a new token set: from the refresh token it is given, or, when `tokens` is undefined, by minting one
 * (client credentials, JWT bearer). A refresh-token function with nothing to refresh throws `SessionExpiredError`.
 */
export type RefreshFunction = (context: {
  /** What the refresher holds now. */
  tokens: TokenSet | undefined
  /** Aborted when `refreshTimeoutMs` passes; pass it on to the HTTP call. */
  signal: AbortSignal
  /** The refresher's `dpop` option: a grant signs its token request with it, so that the tokens are bound to its key. */
  dpop?: DPoPHandle
}) => Promise<TokenSet>

/** Options of `createTokenRefresher`. */
export interface TokenRefresherOptions {
  /** Obtains new tokens. Required. */
  refresh: RefreshFunction
  /** Where tokens are read from at first use and written to after each refresh. Default: in memory. */
  store?: TokenStore
  /** Tokens to start with when the store holds none. */
  initialTokens?: TokenSet
  /**
   * Milliseconds before `expiresAt` from which a token counts as expired: callers wait for a refresh.
   * Default 60 000, clamped to a quarter of the token's lifetime.
   */
  refreshBeforeExpiryMs?: number
  /**
   * Milliseconds before `expiresAt` from which a call still gets the current token at once but starts one
   * refresh in the background. Default 300 000, clamped to half the token's lifetime; no wider than
   * `refreshBeforeExpiryMs` means no background refresh.
   */
  backgroundRefreshBeforeExpiryMs?: number
  /** Milliseconds to wait after a failed background refresh before the next one. Default 10 000. */
  backgroundRetryIntervalMs?: number
  /**
   * Milliseconds of back-off after a transient refresh failure, doubled after each further one (with jitter); within
   * it, callers that need a refresh fail fast with the last error. Default 1 000; 0 for none.
   */
  refreshBackoffMs?: number
  /** Milliseconds the back-off grows to at most, a server's `Retry-After` included. Default 60 000. */
  maxRefreshBackoffMs?: number
  /** Milliseconds after which a refresh is aborted and fails with `RefreshTimeoutError`. Default 30 000; `Infinity` for none. */
  refreshTimeoutMs?: number
  /** Called once when the session expires, with the error every later call rejects with until `setTokens`. */
  onSessionExpired?: (error: SessionExpiredError) => void
  /**
   * Tells a rejected refresh token from a transient failure.
   * Default: a `SessionExpiredError`, or an error whose `error` or `code` is `'invalid_grant'`.
   */
  isSessionExpired?: (error: unknown) => boolean
  /** Receives every event, for logs and counters. Without it, store failures are written to `console.warn`. */
  onEvent?: (event: TokenRefreshEvent) => void
  /** The clock, in epoch milliseconds. Default `Date.now`. */
  now?: () => number
  /**
   * Sender-constrained tokens (DPoP, RFC 9449): the handle from `createDPoPHandle` that the refresh function gets in
   * its context to sign token requests with, and that the adapters sign each request's proof with when the token set
   * is of type `DPoP`. Default: none, and a `DPoP` token set fails each request with a `TypeError`.
   */
  dpop?: DPoPHandle
}

export interface ResolvedOptions {
  refresh: RefreshFunction
  store: TokenStore | undefined
  initialTokens: TokenSet | undefined
  refreshBeforeExpiryMs: number
  backgroundRefreshBeforeExpiryMs: number
  backgroundRetryIntervalMs: number
  refreshBackoffMs: number
  maxRefreshBackoffMs: number
  refreshTimeoutMs: number
  onSessionExpired: ((error: SessionExpiredError) => void) | undefined
  isSessionExpired: (error: unknown) => boolean
  onEvent: ((event: TokenRefreshEvent) => void) | undefined
  now: () => number
  dpop: DPoPHandle | undefined
}

export const defaultRefreshBeforeExpiryMs = 60_000
export const defaultBackgroundRefreshBeforeExpiryMs = 300_000
export const defaultBackgroundRetryIntervalMs = 10_000
export const defaultRefreshBackoffMs = 1_000
export const defaultMaxRefreshBackoffMs = 60_000
export const defaultRefreshTimeoutMs = 30_000
// setTimeout fires at once for longer delays.
const maxTimeoutMs = 2_147_483_647

const knownOptions = new Set<string>([
  'refresh',
  'store',
  'initialTokens',
  'refreshBeforeExpiryMs',
  'backgroundRefreshBeforeExpiryMs',
  'backgroundRetryIntervalMs',
  'refreshBackoffMs',
  'maxRefreshBackoffMs',
  'refreshTimeoutMs',
  'onSessionExpired',
  'isSessionExpired',
  'onEvent',
  'now',
  'dpop',
])

/** Checks every option and fills in defaults; misuse throws a `TypeError` naming the option. */
export function resolveOptions(options: TokenRefresherOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('Expected `options` to be an object with at least a `refresh` function')
  }
  rejectUnknownOptions(options, knownOptions)
  const { refresh, store, initialTokens } = options
  if (typeof refresh !== 'function') throw new TypeError('Expected `refresh` to be a function')
  if (store !== undefined && !hasMethods(store, ['get', 'set', 'clear'])) {
    throw new TypeError('Expected `store` to have `get`, `set` and `clear` methods')
  }
  if (initialTokens !== undefined) {
    const problem = describeInvalidTokenSet(initialTokens, 'initialTokens')
    if (problem !== undefined) throw new TypeError(capitalize(problem))
  }
  const refreshTimeoutMs = options.refreshTimeoutMs ?? defaultRefreshTimeoutMs
  if (
    typeof refreshTimeoutMs !== 'number' ||
    !(refreshTimeoutMs > 0) ||
    (refreshTimeoutMs > maxTimeoutMs && refreshTimeoutMs !== Number.POSITIVE_INFINITY)
  ) {
    throw new TypeError(
      `Expected \`refreshTimeoutMs\` to be a positive number up to ${maxTimeoutMs}, or Infinity`,
    )
  }
  const { dpop } = options
  if (dpop !== undefined && !hasMethods(dpop, ['proof', 'learnNonce', 'nonceFor'])) {
    throw new TypeError('Expected `dpop` to be a DPoP handle from `createDPoPHandle`')
  }
  return {
    refresh: dpop === undefined ? refresh : (context) => refresh({ ...context, dpop }),
    store,
    initialTokens,
    refreshBeforeExpiryMs: durationOption(
      options,
      'refreshBeforeExpiryMs',
      defaultRefreshBeforeExpiryMs,
    ),
    backgroundRefreshBeforeExpiryMs: durationOption(
      options,
      'backgroundRefreshBeforeExpiryMs',
      defaultBackgroundRefreshBeforeExpiryMs,
    ),
    backgroundRetryIntervalMs: durationOption(
      options,
      'backgroundRetryIntervalMs',
      defaultBackgroundRetryIntervalMs,
    ),
    refreshBackoffMs: durationOption(options, 'refreshBackoffMs', defaultRefreshBackoffMs),
    maxRefreshBackoffMs: durationOption(options, 'maxRefreshBackoffMs', defaultMaxRefreshBackoffMs),
    refreshTimeoutMs,
    onSessionExpired: functionOption(options, 'onSessionExpired'),
    isSessionExpired: functionOption(options, 'isSessionExpired') ?? isInvalidGrant,
    onEvent: functionOption(options, 'onEvent'),
    // Read at each call rather than kept, so that a fake clock installed later is followed.
    now: functionOption(options, 'now') ?? (() => Date.now()),
    dpop,
  }
}

function durationOption(
  options: TokenRefresherOptions,
  name:
    | 'refreshBeforeExpiryMs'
    | 'backgroundRefreshBeforeExpiryMs'
    | 'backgroundRetryIntervalMs'
    | 'refreshBackoffMs'
    | 'maxRefreshBackoffMs',
  defaultValue: number,
): number {
  const value = options[name] ?? defaultValue
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new TypeError(`Expected \`${name}\` to be a non-negative finite number of milliseconds`)
  }
  return value
}

function functionOption<Name extends 'onSessionExpired' | 'isSessionExpired' | 'onEvent' | 'now'>(
  options: TokenRefresherOptions,
  name: Name,
): TokenRefresherOptions[Name] {
  const value = options[name]
  if (value !== undefined && typeof value !== 'function') {
    throw new TypeError(`Expected \`${name}\` to be a function`)
  }
  return value
}

export function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1)
}
