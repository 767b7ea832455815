import type { TokenSet } from '@tokenflight/core'
import { BrowserTokenStoreError } from './errors.js'

/**
 * One session as IndexedDB holds it. `revision` grows by one with every write, so that a tab can tell a change it
 * has not seen from one it has; `tokens` is the token set as JSON text, `null` once signed out.
 */
export interface SessionRecord {
  revision: number
  tokens: string | null
}

/** A session read back and checked: its revision, and its tokens unless it was cleared or never written. */
export interface StoredSession {
  revision: number
  tokens: TokenSet | undefined
}

/** The JSON text of a token set, checked first so that nothing unreadable is ever written. */
export function encodeTokens(tokens: TokenSet): string {
  const problem = describeInvalidTokens(tokens)
  if (problem !== undefined)
    throw new TypeError(`Expected \`tokens\` to be a token set: ${problem}`)
  return JSON.stringify(tokens)
}

/** Reads what IndexedDB holds under a session key; throws `BrowserTokenStoreError` (`corrupt`) for anything else. */
export function decodeSession(value: unknown, key: string): StoredSession {
  if (value === undefined) return { revision: 0, tokens: undefined }
  const record = value as Partial<SessionRecord> | null
  if (
    typeof record !== 'object' ||
    record === null ||
    !Number.isSafeInteger(record.revision) ||
    (record.revision as number) < 0 ||
    (record.tokens !== null && typeof record.tokens !== 'string')
  ) {
    throw corrupt(key, 'not a session record')
  }
  const revision = record.revision as number
  if (record.tokens === null) return { revision, tokens: undefined }
  let tokens: unknown
  try {
    tokens = JSON.parse(record.tokens as string)
  } catch {
    // No cause: a JSON parse error quotes the text around the fault, and that text may be a token.
    throw corrupt(key, 'not JSON')
  }
  const problem = describeInvalidTokens(tokens)
  if (problem !== undefined) throw corrupt(key, problem)
  return { revision, tokens: tokens as TokenSet }
}

/** The revision of whatever is stored, 0 for nothing (or something that has none): what a conditional write expects. */
export function revisionOf(value: unknown): number {
  const revision = (value as { revision?: unknown } | null | undefined)?.revision
  return Number.isSafeInteger(revision) && (revision as number) >= 0 ? (revision as number) : 0
}

function corrupt(key: string, problem: string): BrowserTokenStoreError {
  return new BrowserTokenStoreError(
    `The session "${key}" in IndexedDB is corrupt (${problem}): sign in again to replace it`,
    { key, reason: 'corrupt' },
  )
}

// Names the field, never its value, which may be a token.
function describeInvalidTokens(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return 'not a token set object'
  }
  const tokens = value as Record<string, unknown>
  if (typeof tokens.accessToken !== 'string' || tokens.accessToken === '') {
    return '`accessToken` is not a non-empty string'
  }
  for (const name of ['refreshToken', 'tokenType', 'scope']) {
    if (tokens[name] !== undefined && typeof tokens[name] !== 'string') {
      return `\`${name}\` is not a string`
    }
  }
  if (tokens.expiresAt !== undefined && !Number.isFinite(tokens.expiresAt)) {
    return '`expiresAt` is not a finite number'
  }
  return undefined
}
