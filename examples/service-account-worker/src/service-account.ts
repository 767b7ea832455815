import { readFileSync } from 'node:fs'
import type { RefreshFunction } from '@tokenflight/core'
import {
  anySettingGiven,
  optionalSetting,
  requiredSetting,
  requiredUrlSetting,
  SettingError,
  simulatedClient,
  startSimulatedProvider,
  tokenEndpointSettings,
} from '@tokenflight/example-support'
import { clientCredentialsGrant, jwtBearerGrant } from '@tokenflight/oauth2'
import type { OAuthSimulator } from '@tokenflight/testing'

/** Where the worker's tokens come from and which API they are for: the simulator, or a real provider. */
export interface ServiceAccount {
  readonly description: string
  /** Mints a new access token with the client credentials grant, or a JWT bearer assertion. */
  readonly mintToken: RefreshFunction
  /** A URL of the protected API, requested with GET and POST. */
  readonly apiUrl: URL
  /** The simulator, whose counters the run is checked against; undefined with a real provider. */
  readonly simulator: OAuthSimulator | undefined
  close(): void
}

const settings = [
  'OAUTH2_ISSUER',
  'OAUTH2_TOKEN_ENDPOINT',
  'OAUTH2_CLIENT_ID',
  'OAUTH2_CLIENT_SECRET',
  'OAUTH2_PRIVATE_KEY_FILE',
  'OAUTH2_KEY_ID',
  'OAUTH2_SCOPE',
  'API_URL',
]

/**
 * Connects to a real provider when any `OAUTH2_*` setting or `API_URL` is given (and checks that all it needs are),
 * otherwise starts the simulated one with access tokens that live `accessTokenLifetimeMs`.
 */
export function connectServiceAccount(simulated: {
  accessTokenLifetimeMs: number
}): ServiceAccount {
  return anySettingGiven(settings)
    ? realProvider()
    : simulatedProvider(simulated.accessTokenLifetimeMs)
}

function simulatedProvider(accessTokenLifetimeMs: number): ServiceAccount {
  const { simulator, close } = startSimulatedProvider({
    accessTokenLifetimeMs,
    tokenLatencyMs: 20,
    apiLatencyMs: 15,
  })
  return {
    description: [
      `Simulated provider: access tokens live ${accessTokenLifetimeMs} ms`,
      '(set OAUTH2_* and API_URL to use a real one, see README.md)',
    ].join('\n'),
    mintToken: clientCredentialsGrant({
      tokenEndpoint: simulator.tokenUrl,
      clientId: simulatedClient.id,
      clientSecret: simulatedClient.secret,
    }),
    apiUrl: new URL('/v1/reports', simulator.apiUrl),
    simulator,
    close,
  }
}

function realProvider(): ServiceAccount {
  const scope = optionalSetting('OAUTH2_SCOPE')
  const endpoint = {
    ...tokenEndpointSettings(),
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
  return {
    description: `Provider at ${(endpoint.tokenEndpoint ?? endpoint.issuer)?.origin}, API at ${apiUrl.origin}`,
    mintToken,
    apiUrl,
    simulator: undefined,
    close: () => {},
  }
}

function readPrivateKey(path: string): string {
  let pem: string
  try {
    pem = readFileSync(path, 'utf8')
  } catch (error) {
    const code = (error as { code?: unknown }).code
    throw new SettingError(
      'OAUTH2_PRIVATE_KEY_FILE',
      `Could not read OAUTH2_PRIVATE_KEY_FILE ${path}${typeof code === 'string' ? ` (${code})` : ''}`,
    )
  }
  if (!pem.includes('-----BEGIN PRIVATE KEY-----')) {
    throw new SettingError(
      'OAUTH2_PRIVATE_KEY_FILE',
      `Malformed setting OAUTH2_PRIVATE_KEY_FILE: ${path} is not a PKCS #8 PEM private key (-----BEGIN PRIVATE KEY-----)`,
    )
  }
  return pem
}
