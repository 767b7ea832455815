import type { RefreshTokenGrantOptions } from '@tokenflight/oauth2'
import type { SignInWithLoopbackOptions } from '@tokenflight/oauth2/node'

/** A setting is missing or malformed; the message names the environment variable, never its value. */
export class SettingError extends Error {
  override name = 'SettingError'
}

/** The provider and client of the program, read from the environment (see README.md). */
export interface Settings {
  /** Options of `refreshTokenGrant`. */
  grant: RefreshTokenGrantOptions
  /** Options of `signInWithLoopback`. */
  signIn: SignInWithLoopbackOptions
}

/** Reads the settings, and throws a `SettingError` naming the first one missing. */
export function readSettings(): Settings {
  const issuer = optionalSetting('OAUTH2_ISSUER')
  const tokenEndpoint = optionalSetting('OAUTH2_TOKEN_ENDPOINT')
  const authorizationEndpoint =
    issuer === undefined
      ? requiredSetting(
          'OAUTH2_AUTHORIZATION_ENDPOINT',
          'your provider’s authorization endpoint (with OAUTH2_TOKEN_ENDPOINT), or set OAUTH2_ISSUER',
        )
      : optionalSetting('OAUTH2_AUTHORIZATION_ENDPOINT')
  const clientSecret = optionalSetting('OAUTH2_CLIENT_SECRET')
  const client = {
    clientId: requiredSetting('OAUTH2_CLIENT_ID', 'the client id registered for this program'),
    ...(issuer === undefined ? {} : { issuer }),
    ...(tokenEndpoint === undefined ? {} : { tokenEndpoint }),
    ...(clientSecret === undefined ? {} : { clientSecret }),
  }
  const port = optionalSetting('OAUTH2_REDIRECT_PORT')
  return {
    grant: client,
    signIn: {
      ...client,
      ...(authorizationEndpoint === undefined ? {} : { authorizationEndpoint }),
      scope: optionalSetting('OAUTH2_SCOPE') ?? 'openid offline_access',
      ...(port === undefined ? {} : { port: Number(port) }),
    },
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
