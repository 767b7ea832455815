import { createRefresherPool, type RefresherPoolOptions } from '@tokenflight/core'
import { type JwtBearerGrantOptions, jwtBearerGrant } from '@tokenflight/oauth2'

export type SessionKey = { user: string; scope: string }

// One session per user and scope, at most 1,000 kept. Each gets that user's tokens from the service account's
// signed assertion (the JWT bearer grant, RFC 7523), as domain-wide delegation, DocuSign or Box "as-user" do.
export function createSessions(
  serviceAccount: JwtBearerGrantOptions,
  options: Partial<RefresherPoolOptions<SessionKey>> = {},
) {
  return createRefresherPool<SessionKey>({
    refresh: ({ key, signal }) =>
      jwtBearerGrant({
        ...serviceAccount,
        scope: key.scope,
        assertion: { ...serviceAccount.assertion, subject: key.user },
      })({ tokens: undefined, signal }),
    maxSessions: 1_000,
    ...options,
  })
}
