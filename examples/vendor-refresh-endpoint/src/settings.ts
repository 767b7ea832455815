/** A setting is missing or malformed; the message names the environment variable, never its value. */
export class SettingError extends Error {
  override name = 'SettingError'
}

/** The vendor's refresh endpoint and API, and the refresh token of a sign-in, from the environment (see README.md). */
export interface Settings {
  /** The vendor's refresh endpoint: POST `{ refreshToken }`. */
  refreshUrl: URL
  /** A URL of the vendor's API, requested with GET. */
  apiUrl: URL
  refreshToken: string
}

/** Reads the settings, and throws a `SettingError` naming the first one missing or malformed. */
export function readSettings(): Settings {
  return {
    refreshUrl: requiredUrlSetting('VENDOR_REFRESH_URL', 'the vendor’s refresh endpoint'),
    apiUrl: requiredUrlSetting(
      'API_URL',
      'a URL of the vendor’s API that the access token is good for',
    ),
    refreshToken: requiredSetting(
      'VENDOR_REFRESH_TOKEN',
      'a refresh token from a sign-in with the vendor',
    ),
  }
}

function requiredSetting(name: string, what: string): string {
  const value = process.env[name]?.trim()
  if (value === undefined || value === '') {
    throw new SettingError(`Missing setting ${name}: set it to ${what} (see README.md)`)
  }
  return value
}

// Tokens are sent to these URLs: https only, or plain http to this machine.
function requiredUrlSetting(name: string, what: string): URL {
  const value = requiredSetting(name, what)
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
