import { readFileSync } from 'node:fs'
import type { RefreshFunction } from '@tokenflight/core'
import { clientCredentialsGrant, jwtBearerGrant } from '@tokenflight/oauth2'

/** A setting is missing or malformed; the message names the environment variable, never its value. */
export class SettingError extends Error {
  override name = 'SettingError'
}

/** How the worker gets its tokens and which API they are for, read from the environment (see README.md). */
export interface ServiceAccount {
  /** Mints a new access token with the client credentials grant, or a JWT bearer assertion. */
  mintToken: RefreshFunction
  /** A URL of the API, requested with GET and POST. */
  apiUrl: URL
}

/** Reads the settings, and throws a `SettingError` naming the first one missing or malformed. */
export function readServiceAccount(): ServiceAccount {
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
  const scope = optionalSetting('OAUTH2_SCOPE')
  const endpoint = {
    ...(issuer === undefined ? {} : { issuer }),
    ...(tokenEndpoint === undefined ? {} : { tokenEndpoint }),
    clientId: requiredSetting('OAUTH2_CLIENT_ID', 'the service account’s client id'),
    ...(scope === undefined ? {} : { scope }),
  }
  const apiUrl = requiredUrlSetting(
    'API_URL',
    'a URL of your API that the access token is good for',
  )
  const privateKeyFile = optionalSetting('OAUTH2_PRIVATE_KEY_FILE')
  const keyId = optionalSetting('OAUTH2_KEY_ID')
  const mintToken =
    privateKeyFile === undefined
      ? clientCredentialsGrant({
          ...endpoint,
          clientSecret: requiredSetting(
            'OAUTH2_CLIENT_SECRET',
            'the client secret (or set OAUTH2_PRIVATE_KEY_FILE to sign JWT assertions instead)',
          ),
        })
      : jwtBearerGrant({
          ...endpoint,
          assertion: {
            algorithm: 'RS256',
            key: readPrivateKey(privateKeyFile),
            ...(keyId === undefined ? {} : { keyId }),
          },
        })
  return { mintToken, apiUrl }
}

function readPrivateKey(path: string): string {
  let pem: string
  try {
    pem = readFileSync(path, 'utf8')
  } catch (error) {
    const code = (error as { code?: unknown }).code
    throw new SettingError(
      `Could not read OAUTH2_PRIVATE_KEY_FILE ${path}${typeof code === 'string' ? ` (${code})` : ''}`,
    )
  }
  if (!pem.includes('-----BEGIN PRIVATE KEY-----')) {
    throw new SettingError(
      `Malformed setting OAUTH2_PRIVATE_KEY_FILE: ${path} is not a PKCS #8 PEM private key (-----BEGIN PRIVATE KEY-----)`,
    )
  }
  return pem
}

function optionalSetting(name: string): string | undefined {
  const value = process.env[name]?.trim()
  return value === '' ? undefined : value
}

function requiredSetting(name: string, what: string): string {
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
