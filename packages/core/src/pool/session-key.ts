import { describeKind } from '../token-set.js'

/**
 * Names one session of a refresher pool: a non-empty string, or a plain object whose fields are non-empty strings
 * or non-empty arrays of them (user, tenant, scope, resource, audience...), compared by value.
 */
export type RefresherPoolKey = string | { readonly [field: string]: string | readonly string[] }

// Fields that may hold a credential (a subject token for token exchange, say): shown as `'[redacted]'` in events.
const secretFieldPattern = /(?:token|assertion|secret|password)$/i
const redacted = '[redacted]'

const keyExpectation = 'a non-empty string or a plain object of strings and string arrays'
const fieldExpectation = 'a non-empty string or a non-empty array of non-empty strings'

/**
 * The canonical form of a key, one string per session: object fields sorted by name, each name and canonical value
 * length-prefixed so that no two different keys meet. Throws a `TypeError` for a bad key that names the field and the
 * kind of value, never the value, which may be a token.
 */
export function sessionIdOf(key: unknown): string {
  if (typeof key === 'string') {
    checkStringKey(key)
    // Object ids start with \0o; a string key that starts with \0 is escaped so that it cannot pose as one.
    return key.charCodeAt(0) === 0 ? `\0s${key}` : key
  }
  let id = '\0o'
  for (const name of sortedFieldNames(key)) {
    const value = canonicalValue(key as Record<string, unknown>, name)
    id += `${name.length}:${name}${value.length}:${value}`
  }
  return id
}

export function checkStringKey(key: string): void {
  if (key === '')
    throw new TypeError(`Expected \`key\` to be ${keyExpectation}, got an empty string`)
}

/** The field names of an object key, sorted; throws a `TypeError` if the key is not a plain object of fields. */
export function sortedFieldNames(key: unknown): string[] {
  if (!isPlainObject(key)) {
    throw new TypeError(`Expected \`key\` to be ${keyExpectation}, got ${describeKeyKind(key)}`)
  }
  const names = Object.keys(key)
  if (names.length === 0) {
    throw new TypeError(`Expected \`key\` to be ${keyExpectation}, got an object with no fields`)
  }
  if (Object.getOwnPropertySymbols(key).length > 0) {
    throw new TypeError('Expected `key` to have string field names only, got a symbol')
  }
  sortSmall(names)
  return names
}

/**
 * The canonical value of one field: a string as it is, a list encoded after \0a, a scope field as its set of scopes;
 * distinct values of one field never meet. Throws a `TypeError` naming the field for a bad value.
 */
export function canonicalValue(key: Record<string, unknown>, name: string): string {
  // An own field named __proto__ (from JSON.parse, or a computed name) would set the prototype of the copy
  // that callbacks receive instead of becoming its field.
  if (name === '__proto__') throw new TypeError('Expected `key` to have no `__proto__` field')
  const value = key[name]
  if (name === 'scope' || name === 'scopes') return scopeSet(value, name)
  if (typeof value === 'string' && value !== '') {
    return value.charCodeAt(0) === 0 ? `\0s${value}` : value
  }
  return encodeList(checkedList(value, name))
}

/** A frozen copy of a key already checked by {@link sessionIdOf}: what the pool's callbacks receive. */
export function frozenKey<Key>(key: Key): Key {
  if (typeof key === 'string') return key
  const copy: Record<string, string | readonly string[]> = {}
  for (const [name, value] of Object.entries(key as Record<string, string | string[]>)) {
    copy[name] = typeof value === 'string' ? value : Object.freeze([...value])
  }
  return Object.freeze(copy) as Key
}

/** The key as events show it: fields named like a credential (`subjectToken`, `assertion`...) are redacted. */
export function keyForEvents<Key>(key: Key): Key {
  if (typeof key === 'string') return key
  const names = Object.keys(key as object)
  if (!names.some((name) => secretFieldPattern.test(name))) return key
  const copy: Record<string, unknown> = {}
  for (const name of names) {
    copy[name] = secretFieldPattern.test(name) ? redacted : (key as Record<string, unknown>)[name]
  }
  return Object.freeze(copy) as Key
}

function isPlainObject(value: unknown): value is object {
  if (typeof value !== 'object' || value === null) return false
  const prototype = Object.getPrototypeOf(value)
  return prototype === Object.prototype || prototype === null
}

function describeKeyKind(value: unknown): string {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const name = (value as { constructor?: { name?: unknown } }).constructor?.name
    return typeof name === 'string' && name !== '' && name !== 'Object'
      ? `an instance of ${name}`
      : 'an object that is not a plain object'
  }
  return describeKind(value)
}

function checkedList(value: unknown, name: string): readonly string[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new TypeError(
      `Expected \`key.${name}\` to be ${fieldExpectation}, got ${describeKind(value)}`,
    )
  }
  for (const item of value) {
    if (typeof item !== 'string' || item === '') {
      throw new TypeError(
        `Expected \`key.${name}\` to be ${fieldExpectation}, got an array holding ${describeKind(item)}`,
      )
    }
  }
  return value
}

// The scope tokens of a scope field as one string, sorted and without repeats: a set of space-separated
// scope tokens (RFC 6749, section 3.3), however its order or whether it is written as a string or an array.
function scopeSet(value: unknown, name: string): string {
  if (typeof value === 'string' && value !== '' && !value.includes(' ')) return value
  if (typeof value === 'string') {
    const scopes = value.split(' ')
    if (isStrictlyAscending(scopes)) return value
  }
  const written = typeof value === 'string' ? [value] : checkedList(value, name)
  const scopes: string[] = []
  for (const part of written) {
    for (const scope of part.split(' ')) if (scope !== '') scopes.push(scope)
  }
  if (scopes.length === 0) {
    throw new TypeError(
      `Expected \`key.${name}\` to hold at least one scope, got ${value === '' ? 'an empty string' : 'spaces only'}`,
    )
  }
  sortSmall(scopes)
  // Sorted, so a repeated scope sits next to itself.
  let kept = 1
  for (let index = 1; index < scopes.length; index++) {
    if (scopes[index] !== scopes[kept - 1]) scopes[kept++] = scopes[index] as string
  }
  scopes.length = kept
  return scopes.join(' ')
}

// Also false for an empty token, from a double, leading or trailing space.
function isStrictlyAscending(items: readonly string[]): boolean {
  if (items[0] === '') return false
  for (let index = 1; index < items.length; index++) {
    if (!((items[index - 1] as string) < (items[index] as string))) return false
  }
  return true
}

function encodeList(items: readonly string[]): string {
  let encoded = `\0a${items.length}:`
  for (const item of items) encoded += `${item.length}:${item}`
  return encoded
}

// Keys have a handful of fields and scopes: for so few, an insertion sort is several times faster than
// Array.prototype.sort, which takes over for longer lists.
function sortSmall(items: string[]): void {
  if (items.length > 16) {
    items.sort()
    return
  }
  for (let index = 1; index < items.length; index++) {
    const item = items[index] as string
    let at = index
    while (at > 0 && (items[at - 1] as string) > item) {
      items[at] = items[at - 1] as string
      at--
    }
    items[at] = item
  }
}
