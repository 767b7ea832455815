export { AuthorizationServerError } from './authorization-server-error.js'
export type { ClientCredentialsGrantOptions } from './client-credentials-grant.js'
export { clientCredentialsGrant } from './client-credentials-grant.js'
export type { JwtBearerAssertionOptions, JwtBearerGrantOptions } from './jwt-bearer-grant.js'
export { jwtBearerGrant } from './jwt-bearer-grant.js'
export type { RefreshTokenGrantFunction, RefreshTokenGrantOptions } from './refresh-token-grant.js'
export { refreshTokenGrant } from './refresh-token-grant.js'
export type { ClientAuthenticationMethod, TokenEndpointOptions } from './token-endpoint.js'
export type {
  TokenExchangeContext,
  TokenExchangeFunction,
  TokenExchangeGrantOptions,
  TokenExchangeParameters,
} from './token-exchange-grant.js'
export { accessTokenType, tokenExchangeGrant } from './token-exchange-grant.js'
