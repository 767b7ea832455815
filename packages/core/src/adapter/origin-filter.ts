/** Origins that may receive the access token: exact origins such as `'https://api.example.com'`, or patterns tested against a request's origin. */
export type OriginList = ReadonlyArray<string | RegExp>

/**
 * Turns an origin allow-list into a test on request URLs; undefined when there is no list, which allows every origin.
 * Relative URLs are resolved against the page's location, and a URL that cannot be resolved is not allowed.
 *
 * @example
 * const isAllowed = createOriginFilter(['https://api.example.com'])
 * isAllowed?.('https://cdn.example.com/app.js') // false
 */
export function createOriginFilter(
  origins: OriginList | undefined,
): ((url: string) => boolean) | undefined {
  if (origins === undefined) return undefined
  if (!Array.isArray(origins)) {
    throw new TypeError(
      'Expected `origins` to be an array of origin strings and regular expressions',
    )
  }
  const exact = new Set<string>()
  const patterns: RegExp[] = []
  for (const origin of origins as OriginList) {
    if (origin instanceof RegExp) patterns.push(origin)
    else exact.add(normalizeOrigin(origin))
  }
  return (url) => {
    const origin = originOf(url)
    if (origin === undefined) return false
    return exact.has(origin) || patterns.some((pattern) => testPattern(pattern, origin))
  }
}

function normalizeOrigin(value: unknown): string {
  let url: URL | undefined
  if (typeof value === 'string') {
    try {
      url = new URL(value)
    } catch {
      url = undefined
    }
  }
  // A path would suggest that only part of the origin is trusted, which an origin list cannot express.
  if (
    url === undefined ||
    url.origin === 'null' ||
    (value !== url.origin && value !== `${url.origin}/`)
  ) {
    throw new TypeError(
      `Expected each entry of \`origins\` to be an origin such as 'https://api.example.com' or a RegExp, got ${typeof value === 'string' ? `'${value}'` : typeof value}`,
    )
  }
  return url.origin
}

function originOf(url: string): string | undefined {
  try {
    return new URL(url, globalThis.location?.href).origin
  } catch {
    return undefined
  }
}

function testPattern(pattern: RegExp, origin: string): boolean {
  // A global or sticky pattern keeps `lastIndex` between calls and would match every other time.
  pattern.lastIndex = 0
  return pattern.test(origin)
}
