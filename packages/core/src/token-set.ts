/**
 * The tokens a refresher holds: an access token and what is known about it.
 */
export interface TokenSet {
  accessToken: string
  /** Absent when the grant has none (client credentials, JWT bearer). */
  refreshToken?: string
  /** Epoch milliseconds; absent means unknown: valid until a 401 says otherwise. */
  expiresAt?: number
  /** The `Authorization` scheme; `'Bearer'` when absent. */
  tokenType?: string
  scope?: string
}

/** Options of {@link isExpired}. */
export interface IsExpiredOptions {
  /** Treat the token as expired this many milliseconds early. Default 0. */
  marginMs?: number
  /** The clock, in epoch milliseconds. Default `Date.now`. */
  now?: () => number
}

/**
 * Tells whether a token set is missing or expires within `marginMs`; a token without `expiresAt` never expires by the clock.
 *
 * @example
 * if (isExpired(await store.get(), { marginMs: 60_000 })) await refresher.refresh()
 */
export function isExpired(tokens: TokenSet | undefined, options: IsExpiredOptions = {}): boolean {
  const { marginMs = 0, now = Date.now } = options
  if (tokens === undefined) return true
  if (tokens.expiresAt === undefined) return false
  return now() >= tokens.expiresAt - marginMs
}

/**
 * Says what is wrong with a value that should be a token set, or returns undefined when it is valid.
 * The description names the field and the kind of value, never the value itself, which may be a token.
 */
export function describeInvalidTokenSet(value: unknown, path = ''): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return `expected ${path === '' ? 'a token set object' : `\`${path}\` to be a token set object`}, got ${describeKind(value)}`
  }
  const tokens = value as Record<string, unknown>
  const field = (name: string) => `\`${path === '' ? name : `${path}.${name}`}\``
  if (!isNonEmptyString(tokens.accessToken)) {
    return `expected ${field('accessToken')} to be a non-empty string, got ${describeKind(tokens.accessToken)}`
  }
  if (tokens.refreshToken !== undefined && !isNonEmptyString(tokens.refreshToken)) {
    return `expected ${field('refreshToken')} to be a non-empty string or undefined, got ${describeKind(tokens.refreshToken)}`
  }
  if (tokens.expiresAt !== undefined && !Number.isFinite(tokens.expiresAt)) {
    return `expected ${field('expiresAt')} to be a finite number of epoch milliseconds or undefined, got ${describeKind(tokens.expiresAt)}`
  }
  if (tokens.tokenType !== undefined && !isNonEmptyString(tokens.tokenType)) {
    return `expected ${field('tokenType')} to be a non-empty string or undefined, got ${describeKind(tokens.tokenType)}`
  }
  if (tokens.scope !== undefined && typeof tokens.scope !== 'string') {
    return `expected ${field('scope')} to be a string or undefined, got ${describeKind(tokens.scope)}`
  }
  return undefined
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value !== ''
}

/** Names the kind of a value without revealing it. */
export function describeKind(value: unknown): string {
  if (value === null) return 'null'
  if (value === undefined) return 'undefined'
  if (Array.isArray(value)) return 'an array'
  if (value === '') return 'an empty string'
  if (typeof value === 'number') return Number.isFinite(value) ? 'a number' : String(value)
  if (typeof value === 'string') return 'a string'
  if (typeof value === 'object') return 'an object'
  return `a ${typeof value}`
}
