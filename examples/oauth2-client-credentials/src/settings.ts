import type { ClientCredentialsGrantOptions } from '@tokenflight/oauth2'

/** A setting is missing or malformed; the message names the environment variable, never its value. */
export class SettingError extends Error {
  override name = 'SettingError'
}

/** Reads the options of `clientCredentialsGrant` from the environment (see README.md). */
export function readGrantSettings(): ClientCredentialsGrantOptions {
  const issuer = optionalSetting('OAUTH2_ISSUER')
  const tokenEndpoint =
    issuer === undefined
      ? requiredSetting(
          'OAUTH2_TOKEN_ENDPOINT',
          'your provider’s token endpoint URL (or set OAUTH2_ISSUER to discover it)',
        )
      : optionalSetting('OAUTH2_TOKEN_ENDPOINT')
  const scope = optionalSetting('OAUTH2_SCOPE')
  const audience = optionalSetting('OAUTH2_AUDIENCE')
  return {
    clientId: requiredSetting('OAUTH2_CLIENT_ID', 'your client id'),
    clientSecret: requiredSetting('OAUTH2_CLIENT_SECRET', 'your client secret'),
    ...(issuer === undefined ? {} : { issuer }),
    ...(tokenEndpoint === undefined ? {} : { tokenEndpoint }),
    ...(scope === undefined ? {} : { scope }),
    ...(audience === undefined ? {} : { extraParameters: { audience } }),
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
