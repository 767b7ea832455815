import type { RefreshTokenGrantOptions } from '@tokenflight/oauth2'

/** A setting is missing or malformed; the message names the environment variable, never its value. */
export class SettingError extends Error {
  override name = 'SettingError'
}

/** Where the user's tokens come from and which API they are for, read from the environment (see README.md). */
export interface Settings {
  /** Options of `refreshTokenGrant`. */
  grant: RefreshTokenGrantOptions
  /** A URL of the API, requested with GET. */
  apiUrl: URL
}

/** Reads the settings, and throws a `SettingError` naming the first one missing or malformed. */
export function readSettings(): Settings {
  const issuer = optionalUrlSetting('OAUTH2_ISSUER', 'your provider’s issuer URL')
  const tokenEndpoint = optionalUrlSetting(
    'OAUTH2_TOKEN_ENDPOINT',
    'your provider’s token endpoint',
  )
  if (issuer === undefined && tokenEndpoint === undefined) {
    throw new SettingError(
      'Missing setting OAUTH2_TOKEN_ENDPOINT: set it to your provider’s token endpoint, or set OAUTH2_ISSUER to discover it (see README.md)',
    )
  }
  const clientId = requiredSetting('OAUTH2_CLIENT_ID', 'the client id your provider issued')
  const clientSecret = optionalSetting('OAUTH2_CLIENT_SECRET')
  return {
    grant: {
      ...(issuer === undefined ? {} : { issuer }),
      ...(tokenEndpoint === undefined ? {} : { tokenEndpoint }),
      clientId,
      ...(clientSecret === undefined ? {} : { clientSecret }),
    },
    apiUrl: requiredUrlSetting('API_URL', 'a URL of your API that the access token is good for'),
  }
}

/** Reads an environment variable; unset and empty are the same. */
export function optionalSetting(name: string): string | undefined {
  const value = process.env[name]?.trim()
  return value === '' ? undefined : value
}

/** Reads an environment variable the program cannot run without. */
export function requiredSetting(name: string, what: string): string {
  const value = optionalSetting(name)
  if (value === undefined) {
    throw new SettingError(`Missing setting ${name}: set it to ${what} (see README.md)`)
  }
  return value
}

function requiredUrlSetting(name: string, what: string): URL {
  return parseUrlSetting(name, what, requiredSetting(name, what))
}

function optionalUrlSetting(name: string, what: string): URL | undefined {
  const value = optionalSetting(name)
  return value === undefined ? undefined : parseUrlSetting(name, what, value)
}

// Tokens are sent to these URLs: https only, or plain http to this machine.
function parseUrlSetting(name: string, what: string, value: string): URL {
  const url = URL.canParse(value) ? new URL(value) : undefined
  const loopback =
    url?.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname)
  if (url === undefined || (url.protocol !== 'https:' && !loopback)) {
    throw new SettingError(
      `Malformed setting ${name}: expected ${what}, an https URL (see README.md)`,
    )
  }
  return url
}
