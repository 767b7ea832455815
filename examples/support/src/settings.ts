/** A real-provider setting is missing or malformed; the message names the environment variable, never its value. */
export class SettingError extends Error {
  override name = 'SettingError' as const
  readonly variable: string

  constructor(variable: string, message: string) {
    super(message)
    this.variable = variable
  }
}

/** Whether any of these environment variables is set: the example then talks to a real provider. */
export function anySettingGiven(names: readonly string[]): boolean {
  return names.some((name) => (process.env[name] ?? '').trim() !== '')
}

/**
 * Reads an environment variable that a real provider needs.
 *
 * @example
 * const clientId = requiredSetting('OAUTH2_CLIENT_ID', 'the client id your provider issued')
 */
export function requiredSetting(name: string, what: string): string {
  const value = optionalSetting(name)
  if (value === undefined) {
    throw new SettingError(name, `Missing setting ${name}: set it to ${what} (see README.md)`)
  }
  return value
}

/** Reads an environment variable; unset and empty are the same. */
export function optionalSetting(name: string): string | undefined {
  const value = process.env[name]?.trim()
  return value === undefined || value === '' ? undefined : value
}

/**
 * Reads an environment variable that holds an https URL (plain http only on a loopback address).
 *
 * @example
 * const apiUrl = requiredUrlSetting('API_URL', 'a URL of your API that the access token is good for')
 */
export function requiredUrlSetting(name: string, what: string): URL {
  return parseUrlSetting(name, what, requiredSetting(name, what))
}

/** Like {@link requiredUrlSetting}, for a variable that may be unset. */
export function optionalUrlSetting(name: string, what: string): URL | undefined {
  const value = optionalSetting(name)
  return value === undefined ? undefined : parseUrlSetting(name, what, value)
}

const loopbackHosts = new Set(['localhost', '127.0.0.1', '[::1]'])

function parseUrlSetting(name: string, what: string, value: string): URL {
  const url = URL.canParse(value) ? new URL(value) : undefined
  if (
    url === undefined ||
    !(url.protocol === 'https:' || (url.protocol === 'http:' && loopbackHosts.has(url.hostname)))
  ) {
    throw new SettingError(
      name,
      `Malformed setting ${name}: expected ${what}, an https URL (see README.md)`,
    )
  }
  return url
}

/** Where a real provider's token endpoint is: given, or discovered from the issuer. */
export interface TokenEndpointSettings {
  issuer?: URL
  tokenEndpoint?: URL
}

/**
 * Reads `OAUTH2_TOKEN_ENDPOINT` and `OAUTH2_ISSUER`, at least one of which a real provider needs.
 *
 * @example
 * const grant = { ...tokenEndpointSettings(), clientId }
 */
export function tokenEndpointSettings(): TokenEndpointSettings {
  const issuer = optionalUrlSetting('OAUTH2_ISSUER', 'your provider’s issuer URL')
  const tokenEndpoint = optionalUrlSetting(
    'OAUTH2_TOKEN_ENDPOINT',
    'your provider’s token endpoint',
  )
  if (issuer === undefined && tokenEndpoint === undefined) {
    throw new SettingError(
      'OAUTH2_TOKEN_ENDPOINT',
      'Missing setting OAUTH2_TOKEN_ENDPOINT: set it to your provider’s token endpoint, or set OAUTH2_ISSUER to discover it (see README.md)',
    )
  }
  return {
    ...(issuer === undefined ? {} : { issuer }),
    ...(tokenEndpoint === undefined ? {} : { tokenEndpoint }),
  }
}
