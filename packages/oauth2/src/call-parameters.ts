// Request parameters a grant's refresh function takes per call, from a refresher pool's key say. Misuse throws a
// TypeError naming the field, never its value, which may be a token.

/** A non-empty string, or undefined when the call did not give one. */
export function callString(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string' || value.trim() === '') {
    throw new TypeError(`Expected \`${name}\` to be a non-empty string`)
  }
  return value
}

/** A non-empty string or a non-empty array of them, as a list; undefined when the call did not give one. */
export function callList(value: unknown, name: string): readonly string[] | undefined {
  if (value === undefined) return undefined
  if (typeof value === 'string' && value.trim() !== '') return [value]
  if (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((item) => typeof item === 'string' && item.trim() !== '')
  ) {
    return value as readonly string[]
  }
  throw new TypeError(`Expected \`${name}\` to be a non-empty string or a non-empty array of them`)
}

/** A `scope` given as a space-separated string or as a list of scopes, as the one string the wire carries. */
export function callScope(value: unknown): string | undefined {
  return callList(value, 'scope')?.join(' ')
}
