// Misuse throws a TypeError naming the option, before any request is sent.

export function checkOptionsObject(
  options: unknown,
  knownOptions: ReadonlySet<string>,
  required: string,
  path = '',
): asserts options is Record<string, unknown> {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    const name = path === '' ? 'options' : path
    throw new TypeError(`Expected \`${name}\` to be an object with at least ${required}`)
  }
  for (const name of Object.keys(options)) {
    if (!knownOptions.has(name)) {
      throw new TypeError(`Unknown option \`${path === '' ? name : `${path}.${name}`}\``)
    }
  }
}

export function requiredString(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new TypeError(`Expected \`${name}\` to be a non-empty string`)
  }
  return value
}

export function optionalString(value: unknown, name: string): string | undefined {
  return value === undefined ? undefined : requiredString(value, name)
}

export function optionalFunction<T extends (...args: never[]) => unknown>(
  value: unknown,
  name: string,
): T | undefined {
  if (value !== undefined && typeof value !== 'function') {
    throw new TypeError(`Expected \`${name}\` to be a function`)
  }
  return value as T | undefined
}

export function optionalDuration(value: unknown, name: string, defaultMs: number): number {
  if (value === undefined) return defaultMs
  // setTimeout fires at once for longer delays.
  if (typeof value !== 'number' || !(value > 0) || value > 2_147_483_647) {
    throw new TypeError(`Expected \`${name}\` to be a positive number of milliseconds`)
  }
  return value
}

export function optionalParameters(
  value: unknown,
  name: string,
  reserved: ReadonlySet<string>,
): Record<string, string> {
  if (value === undefined) return {}
  const entries =
    value instanceof URLSearchParams
      ? [...value.entries()]
      : typeof value === 'object' && value !== null && !Array.isArray(value)
        ? Object.entries(value)
        : undefined
  if (entries === undefined) {
    throw new TypeError(`Expected \`${name}\` to be an object of string values`)
  }
  const parameters: Record<string, string> = {}
  for (const [key, parameter] of entries) {
    if (typeof parameter !== 'string') {
      throw new TypeError(`Expected \`${name}.${key}\` to be a string`)
    }
    if (reserved.has(key)) {
      throw new TypeError(`\`${name}\` must not set \`${key}\`: it is set from the other options`)
    }
    parameters[key] = parameter
  }
  return parameters
}

/**
 * Parses an endpoint URL: HTTPS, or plain HTTP to a loopback address only (RFC 8252 callbacks, local servers).
 */
export function endpointUrl(value: unknown, name: string): URL {
  let url: URL | undefined
  if (value instanceof URL) url = new URL(value.href)
  else if (typeof value === 'string' && URL.canParse(value)) url = new URL(value)
  if (url === undefined) throw new TypeError(`Expected \`${name}\` to be an absolute URL`)
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url))) {
    throw new TypeError(
      `Expected \`${name}\` to be an https URL (plain http is allowed for loopback addresses only)`,
    )
  }
  return url
}

export function isLoopback(url: URL): boolean {
  const host = url.hostname
  return host === 'localhost' || host === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(host)
}
