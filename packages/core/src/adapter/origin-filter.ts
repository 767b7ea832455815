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
  // An array to walk on each request: iterating a Set costs an iterator object and its calls.
  const exactList = [...exact]
  return (url) => {
    for (let index = 0; index < exactList.length; index++) {
      if (startsWithOrigin(url, exactList[index] as string)) return true
    }
    const origin = originOf(url)
    if (origin === undefined) return false
    return exact.has(origin) || patterns.some((pattern) => testPattern(pattern, origin))
  }
}

/**
 * Whether `url` is `origin` itself or `origin` followed by a path, query or fragment: the URL parser ends the host
 * there, so the URL has that very origin. Parsing it (about 1 µs in Node 20, with the `URL` object it builds) would
 * be most of what an adapter costs a request; any other spelling (a port, upper case, userinfo) is parsed.
 */
function startsWithOrigin(url: string, origin: string): boolean {
  if (!url.startsWith(origin)) return false
  if (url.length === origin.length) return true
  const next = url.charCodeAt(origin.length)
  return next === slash || next === questionMark || next === hash
}

const slash = 0x2f
const questionMark = 0x3f
const hash = 0x23

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
