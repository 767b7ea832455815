import type { TokenSet } from '@tokenflight/core'
import type { RefreshTokenGrantOptions } from '@tokenflight/oauth2'
import type { OAuthSimulator } from '@tokenflight/testing'
import {
  anySettingGiven,
  optionalSetting,
  requiredSetting,
  requiredUrlSetting,
  tokenEndpointSettings,
} from './settings.js'
import { simulatedClient, startSimulatedProvider } from './simulated-provider.js'

/** Where a user session's tokens come from and which API they are for: the simulator, or a real provider. */
export interface UserSessionProvider {
  /** One line that says which provider this is. */
  readonly description: string
  /** Options for `refreshTokenGrant`. */
  readonly grant: RefreshTokenGrantOptions
  /** A URL of the protected API, requested with GET. */
  readonly apiUrl: URL
  /** The simulator, whose counters the run is checked against; undefined with a real provider. */
  readonly simulator: OAuthSimulator | undefined
  /** The tokens a sign-in gives: the simulator's, or only the refresh token from `OAUTH2_REFRESH_TOKEN`. */
  signIn(): TokenSet
  close(): void
}

/** The environment variables that switch to a real provider; any one of them set does. */
export const userSessionSettings = [
  'OAUTH2_ISSUER',
  'OAUTH2_TOKEN_ENDPOINT',
  'OAUTH2_CLIENT_ID',
  'OAUTH2_CLIENT_SECRET',
  'OAUTH2_REFRESH_TOKEN',
  'API_URL',
] as const

/**
 * Connects to a real provider when any `OAUTH2_*` setting or `API_URL` is given (and checks that all it needs are),
 * otherwise starts the simulated one, whose access tokens live `accessTokenLifetimeMs` and whose refresh tokens
 * rotate on every use.
 *
 * @example
 * const provider = connectUserSession({ accessTokenLifetimeMs: 1_000 })
 */
export function connectUserSession(simulated: {
  accessTokenLifetimeMs: number
  rejectTokenEarlyAfterRefreshes?: number
}): UserSessionProvider {
  return anySettingGiven(userSessionSettings) ? realProvider() : simulatedProvider(simulated)
}

/**
 * The tokens to start from when only a refresh token is known: an access token that expired long ago makes the first
 * request refresh.
 */
export function sessionFromRefreshToken(refreshToken: string): TokenSet {
  return { accessToken: 'not-issued-yet', refreshToken, expiresAt: 0 }
}

function simulatedProvider(options: {
  accessTokenLifetimeMs: number
  rejectTokenEarlyAfterRefreshes?: number
}): UserSessionProvider {
  const { simulator, close } = startSimulatedProvider({ ...options, tokenLatencyMs: 20 })
  return {
    description: [
      `Simulated provider: access tokens live ${options.accessTokenLifetimeMs} ms, refresh tokens are single-use`,
      '(set OAUTH2_* and API_URL to use a real one, see README.md)',
    ].join('\n'),
    grant: {
      tokenEndpoint: simulator.tokenUrl,
      clientId: simulatedClient.id,
      clientSecret: simulatedClient.secret,
    },
    apiUrl: new URL('/v1/me', simulator.apiUrl),
    simulator,
    signIn: () => simulator.signIn(),
    close,
  }
}

function realProvider(): UserSessionProvider {
  const endpoint = tokenEndpointSettings()
  const clientId = requiredSetting('OAUTH2_CLIENT_ID', 'the client id your provider issued')
  const clientSecret = optionalSetting('OAUTH2_CLIENT_SECRET')
  const apiUrl = requiredUrlSetting(
    'API_URL',
    'a URL of your API that the access token is good for',
  )
  const grant: RefreshTokenGrantOptions = { ...endpoint, clientId }
  if (clientSecret !== undefined) grant.clientSecret = clientSecret
  return {
    description: `Provider at ${(endpoint.tokenEndpoint ?? endpoint.issuer)?.origin}, API at ${apiUrl.origin}`,
    grant,
    apiUrl,
    simulator: undefined,
    signIn: () =>
      sessionFromRefreshToken(
        requiredSetting(
          'OAUTH2_REFRESH_TOKEN',
          'a refresh token from a sign-in with your provider',
        ),
      ),
    close: () => {},
  }
}
