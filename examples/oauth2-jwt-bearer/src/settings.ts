import { readFileSync } from 'node:fs'
import type { JwtBearerAssertionOptions, JwtBearerGrantOptions } from '@tokenflight/oauth2'

/** A setting is missing or malformed; the message names the environment variable, never its value. */
export class SettingError extends Error {
  override name = 'SettingError'
}

/** Reads the options of `jwtBearerGrant` from the environment (see README.md). */
export function readGrantSettings(): JwtBearerGrantOptions {
  const issuer = optionalSetting('OAUTH2_ISSUER')
  const tokenEndpoint =
    issuer === undefined
      ? requiredSetting(
          'OAUTH2_TOKEN_ENDPOINT',
          'your provider’s token endpoint URL (or set OAUTH2_ISSUER to discover it)',
        )
      : optionalSetting('OAUTH2_TOKEN_ENDPOINT')
  const secret = optionalSetting('OAUTH2_ASSERTION_SECRET')
  const key: Pick<JwtBearerAssertionOptions, 'algorithm' | 'key'> =
    secret === undefined
      ? {
          algorithm: 'RS256',
          key: readFileSync(
            requiredSetting(
              'OAUTH2_ASSERTION_KEY_FILE',
              'a PKCS #8 PEM file with the RS256 private key (or set OAUTH2_ASSERTION_SECRET for HS256)',
            ),
            'utf8',
          ),
        }
      : { algorithm: 'HS256', key: secret }
  const assertionIssuer = optionalSetting('OAUTH2_ASSERTION_ISSUER')
  const clientId =
    assertionIssuer === undefined
      ? requiredSetting(
          'OAUTH2_CLIENT_ID',
          'your client id (or set OAUTH2_ASSERTION_ISSUER for a grant without client authentication)',
        )
      : optionalSetting('OAUTH2_CLIENT_ID')
  const claims = {
    OAUTH2_ASSERTION_KEY_ID: 'keyId',
    OAUTH2_ASSERTION_ISSUER: 'issuer',
    OAUTH2_ASSERTION_SUBJECT: 'subject',
    OAUTH2_ASSERTION_AUDIENCE: 'audience',
  } as const
  const assertion: JwtBearerAssertionOptions = { ...key }
  for (const [name, option] of Object.entries(claims)) {
    const value = optionalSetting(name)
    if (value !== undefined) assertion[option] = value
  }
  const scope = optionalSetting('OAUTH2_SCOPE')
  return {
    ...(issuer === undefined ? {} : { issuer }),
    ...(tokenEndpoint === undefined ? {} : { tokenEndpoint }),
    ...(clientId === undefined ? {} : { clientId }),
    ...(scope === undefined ? {} : { scope }),
    assertion,
  }
}

/** Reads an environment variable; unset and empty are the same. */
export function optionalSetting(name: string): string | undefined {
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
