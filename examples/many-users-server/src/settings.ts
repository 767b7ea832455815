import { readFileSync } from 'node:fs'
import type { JwtBearerGrantOptions } from '@tokenflight/oauth2'

/** A setting is missing or malformed; the message names the environment variable, never its value. */
export class SettingError extends Error {
  override name = 'SettingError'
}

/** The service account, the API and the users to act for, read from the environment (see README.md). */
export interface Settings {
  /** Options of `jwtBearerGrant`; each session adds its user as the assertion's subject, and its scope. */
  serviceAccount: JwtBearerGrantOptions
  /** An API that answers JSON with the `sub` of the token it was sent. */
  apiUrl: string
  users: string[]
}

/** Reads the settings, and throws a `SettingError` naming the first one missing. */
export async function readSettings(): Promise<Settings> {
  // A token endpoint rather than an issuer: each session's grant would discover it again.
  const tokenEndpoint = requiredSetting(
    'OAUTH2_TOKEN_ENDPOINT',
    'your provider’s token endpoint URL',
  )
  const clientId = requiredSetting('OAUTH2_CLIENT_ID', 'the service account’s client id')
  const key = await importPrivateKey(
    readFileSync(
      requiredSetting(
        'OAUTH2_ASSERTION_KEY_FILE',
        'a PKCS #8 PEM file with the service account’s RS256 private key',
      ),
      'utf8',
    ),
  )
  const keyId = optionalSetting('OAUTH2_ASSERTION_KEY_ID')
  const audience = optionalSetting('OAUTH2_ASSERTION_AUDIENCE')
  return {
    serviceAccount: {
      tokenEndpoint,
      clientId,
      assertion: {
        algorithm: 'RS256',
        key,
        ...(keyId === undefined ? {} : { keyId }),
        ...(audience === undefined ? {} : { audience }),
      },
    },
    apiUrl: requiredSetting('API_URL', 'an API of your provider that the users’ tokens are for'),
    users: requiredSetting('OAUTH2_USERS', 'the users to act for, separated by commas').split(','),
  }
}

// Imported once, as a CryptoKey: each session signs with it, and a PEM string would be parsed again for each one.
function importPrivateKey(pem: string): Promise<CryptoKey> {
  const der = Buffer.from(pem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64')
  return crypto.subtle.importKey(
    'pkcs8',
    der,
    { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
    false,
    ['sign'],
  )
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
