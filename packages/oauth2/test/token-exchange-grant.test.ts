import { inspect } from 'node:util'
import {
  createRefresherPool,
  createTokenRefresher,
  type RefresherPoolEvent,
  SessionExpiredError,
} from '@tokenflight/core'
import { describe, expect, it } from 'vitest'
import {
  accessTokenType,
  jwtBearerGrant,
  type TokenExchangeGrantOptions,
  tokenExchangeGrant,
} from '../src/index.js'
import { useSharedClock } from './support/clock.js'
import { clients, useLocalProvider } from './support/oidc-provider.js'
import { tokenExchangeGrantType } from './support/token-exchange.js'

// oidc-provider has no token exchange of its own: the test provider registers one (support/token-exchange.ts) that
// accepts its own unexpired access tokens as subject and actor tokens and records what each exchange issued.

const accessTokenTtlMs = 10_000
const local = useLocalProvider({ accessTokenTtl: accessTokenTtlMs / 1000 })
const clock = useSharedClock()
const signal = new AbortController().signal

/** An access token of `user` at the provider, from the jwt-bearer grant: what a user would call a backend with. */
async function userToken(user: string): Promise<string> {
  const tokens = await jwtBearerGrant({
    issuer: local.issuer,
    clientId: clients.hmacSigner,
    assertion: { algorithm: 'HS256', key: clients.hmacSignerSecret, subject: user },
  })({ tokens: undefined, signal })
  return tokens.accessToken
}

function exchanger(options: Partial<TokenExchangeGrantOptions> = {}) {
  return tokenExchangeGrant({
    issuer: local.issuer,
    clientId: clients.exchanger,
    clientSecret: clients.exchangerSecret,
    ...options,
  })
}

const exchanges = () => local.grants.succeeded.get(tokenExchangeGrantType) ?? 0

describe('when a backend exchanges the token a user called it with', () => {
  it('gets a token for that user with the audience, resource, scope and token type it asked for', async () => {
    const subjectToken = await userToken('alice')
    const exchange = exchanger()

    const tokens = await exchange({
      signal,
      subjectToken,
      audience: ['billing-api', 'ledger-api'],
      resource: 'https://billing.example.com',
      scope: ['invoices:read', 'invoices:write'],
      requestedTokenType: accessTokenType,
    })

    expect(local.exchangedTokens.get(tokens.accessToken)).toEqual({
      subject: 'alice',
      audience: ['billing-api', 'ledger-api'],
      resource: ['https://billing.example.com'],
      scope: 'invoices:read invoices:write',
      requestedTokenType: accessTokenType,
    })
    expect(tokens).toMatchObject({
      tokenType: 'Bearer',
      scope: 'invoices:read invoices:write',
      expiresAt: expect.any(Number),
    })
  })

  it('takes the parameters of the options, and lets each call override them', async () => {
    const exchange = exchanger({
      subjectToken: await userToken('alice'),
      audience: 'billing-api',
      scope: 'invoices:read',
    })

    const fromOptions = await exchange({ tokens: undefined, signal })
    const overridden = await exchange({
      signal,
      subjectToken: await userToken('bob'),
      audience: 'ledger-api',
    })

    expect(local.exchangedTokens.get(fromOptions.accessToken)).toMatchObject({
      subject: 'alice',
      audience: ['billing-api'],
      scope: 'invoices:read',
    })
    expect(local.exchangedTokens.get(overridden.accessToken)).toMatchObject({
      subject: 'bob',
      audience: ['ledger-api'],
      scope: 'invoices:read',
    })
  })

  it('sends an actor token, typed, for delegation', async () => {
    const exchange = exchanger({ actorToken: await userToken('batch-job') })
    const tokens = await exchange({ signal, subjectToken: await userToken('alice') })
    expect(local.exchangedTokens.get(tokens.accessToken)).toMatchObject({
      subject: 'alice',
      actor: 'batch-job',
    })
  })

  it('reads a subject token given as a function at each exchange', async () => {
    let current = await userToken('alice')
    const refresher = createTokenRefresher({
      refresh: exchanger({ subjectToken: async () => current }),
    })
    clock.start()
    const first = await refresher.getAccessToken()
    clock.advance(accessTokenTtlMs + 1_000)
    current = await userToken('bob')
    const second = await refresher.getAccessToken()

    expect(local.exchangedTokens.get(first)?.subject).toBe('alice')
    expect(local.exchangedTokens.get(second)?.subject).toBe('bob')
  })

  it('ends the session with SessionExpiredError when the subject token has expired, and shows no token', async () => {
    clock.start()
    const subjectToken = await userToken('alice')
    const refresher = createTokenRefresher({ refresh: exchanger({ subjectToken }) })
    clock.advance(accessTokenTtlMs + 1_000)

    const error = await refresher.getAccessToken().catch((caught: unknown) => caught)

    expect(error).toBeInstanceOf(SessionExpiredError)
    expect((error as Error).cause).toMatchObject({ error: 'invalid_grant', status: 400 })
    for (const output of [String(error), JSON.stringify(error), inspect(error, { depth: 10 })]) {
      expect(output).not.toContain(subjectToken)
      expect(output).not.toContain(clients.exchangerSecret)
    }
  })
})

describe('when a refresher pool exchanges tokens per subject token and audience', () => {
  type Key = { subjectToken: string; audience: string }

  it('exchanges once per key for concurrent callers, and never hands one user’s token to another', async () => {
    const exchange = exchanger()
    const sessions = createRefresherPool<Key>({
      refresh: ({ key, signal }) => exchange({ ...key, signal }),
    })
    const users = ['alice', 'bob', 'carol']
    const subjectTokens = new Map(
      await Promise.all(users.map(async (user) => [user, await userToken(user)] as const)),
    )
    const audiences = ['billing-api', 'ledger-api']
    const before = exchanges()

    const answers = await Promise.all(
      users.flatMap((user) =>
        audiences.flatMap((audience) =>
          Array.from({ length: 5 }, async () => {
            const key = { subjectToken: subjectTokens.get(user) as string, audience }
            return { user, audience, token: await sessions.get(key).getAccessToken() }
          }),
        ),
      ),
    )

    expect(exchanges() - before).toBe(users.length * audiences.length)
    for (const { user, audience, token } of answers) {
      expect(local.exchangedTokens.get(token)).toMatchObject({
        subject: user,
        audience: [audience],
      })
    }
    expect(new Set(answers.map(({ token }) => token)).size).toBe(users.length * audiences.length)
  })

  it('exchanges again after the exchanged token expires, and its events never show the subject token', async () => {
    clock.start()
    const events: RefresherPoolEvent<Key>[] = []
    const exchange = exchanger()
    const sessions = createRefresherPool<Key>({
      refresh: ({ key, signal }) => exchange({ ...key, signal }),
      onEvent: (event) => events.push(event),
    })
    const subjectToken = await userToken('alice')
    const key = { subjectToken, audience: 'billing-api' }

    const first = await sessions.get(key).getAccessToken()
    clock.advance(accessTokenTtlMs * 0.4)
    expect(await sessions.get(key).getAccessToken()).toBe(first)
    // Inside the last quarter of the exchanged token's life, while the subject token (as old) still lives.
    clock.advance(accessTokenTtlMs * 0.4)
    const second = await sessions.get(key).getAccessToken()

    expect(second).not.toBe(first)
    expect(events.filter((event) => event.type === 'refresh-succeeded')).toHaveLength(2)
    expect(events.every((event) => event.key.subjectToken === '[redacted]')).toBe(true)
    expect(JSON.stringify(events)).not.toContain(subjectToken)
  })
})

describe('when the token exchange is misused', () => {
  const endpoint = { issuer: 'https://login.example.com', clientId: 'backend' }

  it.each<[string, unknown, string]>([
    [
      'a non-string subject token',
      { subjectToken: 42 },
      'Expected `subjectToken` to be a non-empty string',
    ],
    [
      'an empty audience list',
      { audience: [] },
      'Expected `audience` to be a non-empty string or a non-empty array of them',
    ],
    [
      'a resource that is not a string',
      { resource: [new URL('https://api.example.com')] },
      'Expected `resource` to be a non-empty string or a non-empty array of them',
    ],
    [
      'a blank scope',
      { scope: ' ' },
      'Expected `scope` to be a non-empty string or a non-empty array of them',
    ],
    [
      'a token type that is not a string',
      { subjectTokenType: true },
      'Expected `subjectTokenType` to be a non-empty string',
    ],
    ['an unknown option', { audiences: ['a'] }, 'Unknown option `audiences`'],
    [
      'extra parameters that set the audience',
      { extraParameters: { audience: 'a' } },
      '`extraParameters` must not set `audience`: it is set from the other options',
    ],
  ])('throws a TypeError naming the option for %s', (_name, options, message) => {
    expect(() => tokenExchangeGrant({ ...endpoint, ...(options as object) })).toThrow(
      new TypeError(message),
    )
  })

  it('rejects a call without a subject token, before any request', async () => {
    const exchange = tokenExchangeGrant({
      ...endpoint,
      fetch: () => Promise.reject(new Error('sent')),
    })
    await expect(exchange({ signal, audience: 'billing-api' })).rejects.toThrow(
      new TypeError(
        'Expected `subjectToken` to be given, as an option of tokenExchangeGrant or with the call',
      ),
    )
    await expect(exchange({ signal, subjectToken: 'x', scope: [] })).rejects.toThrow(
      new TypeError('Expected `scope` to be a non-empty string or a non-empty array of them'),
    )
  })
})
