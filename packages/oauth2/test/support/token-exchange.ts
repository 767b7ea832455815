import type Provider from 'oidc-provider'
import { errors } from 'oidc-provider'

export const tokenExchangeGrantType = 'urn:ietf:params:oauth:grant-type:token-exchange'
export const accessTokenType = 'urn:ietf:params:oauth:token-type:access_token'

/** What the provider issued for one token exchange, by the access token it issued. */
export interface TokenExchangeRecord {
  /** The subject token's account. */
  subject: string
  /** The actor token's account, when there was one. */
  actor?: string
  audience: string[]
  resource: string[]
  scope: string | undefined
  requestedTokenType: string | undefined
}

const asList = (value: unknown): string[] =>
  value === undefined ? [] : Array.isArray(value) ? value.map(String) : [String(value)]

/**
 * Registers an RFC 8693 token exchange at oidc-provider, which has none of its own: the subject (and actor) token must
 * be an access token this provider issued and that has not expired; the new access token is issued for the subject's
 * account, and what was asked for is recorded under it, so that a test can tell whose token a caller got.
 */
export function registerTokenExchange(
  provider: Provider,
  issued: Map<string, TokenExchangeRecord>,
): void {
  provider.registerGrantType(
    tokenExchangeGrantType,
    async (ctx) => {
      const params = ctx.oidc.params ?? {}
      const subject = await findAccessToken(
        provider,
        params.subject_token,
        params.subject_token_type,
      )
      let actor: Awaited<ReturnType<typeof findAccessToken>> | undefined
      if (params.actor_token !== undefined) {
        actor = await findAccessToken(provider, params.actor_token, params.actor_token_type)
      }
      const scope = params.scope === undefined ? undefined : String(params.scope)
      const token = new provider.AccessToken({
        accountId: subject.accountId,
        client: ctx.oidc.client,
        grantId: subject.grantId,
        gty: 'token_exchange',
        ...(scope === undefined ? {} : { scope }),
      })
      const accessToken = await token.save()
      issued.set(accessToken, {
        subject: String(subject.accountId),
        ...(actor === undefined ? {} : { actor: String(actor.accountId) }),
        audience: asList(params.audience),
        resource: asList(params.resource),
        scope,
        requestedTokenType:
          params.requested_token_type === undefined
            ? undefined
            : String(params.requested_token_type),
      })
      ctx.body = {
        access_token: accessToken,
        issued_token_type: accessTokenType,
        token_type: token.tokenType,
        expires_in: token.expiration,
        ...(scope === undefined ? {} : { scope }),
      }
    },
    [
      'subject_token',
      'subject_token_type',
      'actor_token',
      'actor_token_type',
      'audience',
      'resource',
      'scope',
      'requested_token_type',
    ],
    ['audience', 'resource'],
  )
}

async function findAccessToken(provider: Provider, value: unknown, type: unknown) {
  if (type !== accessTokenType) {
    throw new errors.InvalidRequest('only access tokens can be exchanged here')
  }
  const token = typeof value === 'string' ? await provider.AccessToken.find(value) : undefined
  if (token === undefined) throw new errors.InvalidGrant('token is invalid or has expired')
  return token
}
