import type { RefreshFunction } from '@tokenflight/core'
import * as oauth from 'oauth4webapi'
import {
  requestTokens,
  resolveTokenEndpoint,
  type TokenEndpointOptions,
  tokenEndpointOptionNames,
} from './token-endpoint.js'

/** Options of {@link clientCredentialsGrant}. */
export type ClientCredentialsGrantOptions = TokenEndpointOptions

const knownOptions = new Set<string>(tokenEndpointOptionNames)

/**
 * Returns a refresh function that obtains a new access token with the client's own credentials (RFC 6749,
 * section 4.4) whenever the refresher needs one.
 *
 * @example
 * const refresher = createTokenRefresher({
 *   refresh: clientCredentialsGrant({ tokenEndpoint, clientId, clientSecret, scope: 'reports:read' }),
 * })
 */
export function clientCredentialsGrant(options: ClientCredentialsGrantOptions): RefreshFunction {
  const endpoint = resolveTokenEndpoint(options, { knownOptions, reservedParameters: [] })
  return ({ signal, dpop }) =>
    requestTokens(
      endpoint,
      {
        send: (server, requestOptions) =>
          oauth.clientCredentialsGrantRequest(
            server,
            endpoint.client,
            endpoint.clientAuthentication,
            endpoint.parameters,
            requestOptions,
          ),
        process: (server, response) =>
          oauth.processClientCredentialsResponse(server, endpoint.client, response),
        secrets: [],
        invalidGrantEndsSession: true,
      },
      signal,
      dpop,
    )
}
