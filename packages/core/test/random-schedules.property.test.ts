import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  createTokenRefresher,
  SessionExpiredError,
  TokenRefreshError,
  type TokenRefreshEvent,
  type TokenSet,
} from '../src/index.js'
import { flushPromises } from './support.js'

/** A token endpoint with single-use refresh tokens that rotate on every refresh (Autodesk APS, Auth0 rotation). */
class RotatingProvider {
  issued = 0
  readonly consumed = new Set<string>()
  readonly issuedAccessTokens: string[] = []
  reusedRefreshTokens = 0

  issue(now: number, lifetimeMs: number): TokenSet {
    this.issued++
    const accessToken = `at-${this.issued}`
    this.issuedAccessTokens.push(accessToken)
    return { accessToken, refreshToken: `rt-${this.issued}`, expiresAt: now + lifetimeMs }
  }

  redeem(refreshToken: string | undefined, now: number, lifetimeMs: number): TokenSet {
    if (refreshToken === undefined) throw new SessionExpiredError('No refresh token')
    if (this.consumed.has(refreshToken)) {
      this.reusedRefreshTokens++
      throw { error: 'invalid_grant', error_description: 'refresh token reused' }
    }
    this.consumed.add(refreshToken)
    return this.issue(now, lifetimeMs)
  }
}

type Action =
  | { kind: 'get' }
  | { kind: 'get-then-abort' }
  | { kind: 'unauthorized-current' }
  | { kind: 'unauthorized-old'; age: number }
  | { kind: 'advance'; ms: number }
  | { kind: 'fail-next'; error: 'transient' | 'invalid_grant' }
  | { kind: 'sign-in' }
  | { kind: 'force' }

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { weight: 5, arbitrary: fc.constant<Action>({ kind: 'get' }) },
  { weight: 1, arbitrary: fc.constant<Action>({ kind: 'get-then-abort' }) },
  { weight: 3, arbitrary: fc.constant<Action>({ kind: 'unauthorized-current' }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('unauthorized-old' as const),
      age: fc.integer({ min: 1, max: 4 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('advance' as const),
      ms: fc.integer({ min: 1, max: 400 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('fail-next' as const),
      error: fc.constantFrom('transient' as const, 'transient' as const, 'invalid_grant' as const),
    }),
  },
  { weight: 1, arbitrary: fc.constant<Action>({ kind: 'sign-in' }) },
  { weight: 1, arbitrary: fc.constant<Action>({ kind: 'force' }) },
)

describe('random schedules', () => {
  it('keep every invariant: one refresh at a time, none for a replaced token, none with a consumed refresh token, every caller settles', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.array(actionArb, { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 50, max: 1_000 }),
        async (scheduler, actions, lifetimeMs) => {
          let clock = 1_000_000
          const provider = new RotatingProvider()
          const failures: Array<'transient' | 'invalid_grant'> = []
          const events: TokenRefreshEvent[] = []
          let refreshesInFlight = 0
          let maxRefreshesInFlight = 0
          let refreshesForReplacedTokens = 0

          const refresher = createTokenRefresher({
            now: () => clock,
            refreshTimeoutMs: Number.POSITIVE_INFINITY,
            initialTokens: provider.issue(clock, lifetimeMs),
            onEvent: (event) => events.push(event),
            refresh: async ({ tokens }) => {
              refreshesInFlight++
              maxRefreshesInFlight = Math.max(maxRefreshesInFlight, refreshesInFlight)
              try {
                // The scheduler decides when the token endpoint answers, relative to every other action.
                await scheduler.schedule(Promise.resolve(), 'token endpoint answers')
                const failure = failures.shift()
                if (failure === 'transient')
                  throw Object.assign(new Error('Service Unavailable'), { status: 503 })
                if (failure === 'invalid_grant') throw { error: 'invalid_grant' }
                return provider.redeem(tokens?.refreshToken, clock, lifetimeMs)
              } finally {
                refreshesInFlight--
              }
            },
          })

          let callers = 0
          let settled = 0
          const unexpectedErrors: unknown[] = []
          const track = (promise: Promise<unknown>, mayAbort = false) => {
            callers++
            promise.then(
              () => settled++,
              (error: unknown) => {
                settled++
                const aborted = mayAbort && (error as Error).name === 'AbortError'
                if (!(error instanceof TokenRefreshError) && !aborted) unexpectedErrors.push(error)
              },
            )
          }

          const unauthorized = (token: string) => {
            const isCurrent = refresher.getTokens()?.accessToken === token
            const before = events.filter(
              (event) => event.type === 'refresh-started' && event.reason === 'unauthorized',
            ).length
            track(refresher.refreshAfterUnauthorized(token))
            const after = events.filter(
              (event) => event.type === 'refresh-started' && event.reason === 'unauthorized',
            ).length
            if (!isCurrent && after > before) refreshesForReplacedTokens++
          }

          const run = (action: Action) => {
            switch (action.kind) {
              case 'get':
                track(refresher.getAccessToken())
                break
              case 'get-then-abort': {
                const controller = new AbortController()
                track(refresher.getAccessToken({ signal: controller.signal }), true)
                scheduler
                  .schedule(Promise.resolve(), 'caller aborts')
                  .then(() => controller.abort())
                break
              }
              case 'unauthorized-current': {
                const current = refresher.getTokens()?.accessToken
                if (current !== undefined) unauthorized(current)
                break
              }
              case 'unauthorized-old': {
                const old = provider.issuedAccessTokens.at(-1 - action.age)
                if (old !== undefined) unauthorized(old)
                break
              }
              case 'advance':
                clock += action.ms
                break
              case 'fail-next':
                failures.push(action.error)
                break
              case 'sign-in':
                track(refresher.setTokens(provider.issue(clock, lifetimeMs)))
                break
              case 'force':
                track(refresher.refresh())
                break
            }
          }

          for (const action of actions) {
            scheduler.schedule(Promise.resolve(action), action.kind).then(run)
          }
          // A refresh that waits for the lock calls the token endpoint a few reactions later: run until none is left.
          do {
            await scheduler.waitAll()
            await flushPromises()
          } while (scheduler.count() > 0)

          expect(maxRefreshesInFlight).toBeLessThanOrEqual(1)
          expect(refreshesForReplacedTokens).toBe(0)
          expect(provider.reusedRefreshTokens).toBe(0)
          expect(settled).toBe(callers)
          expect(unexpectedErrors).toEqual([])
          // What the refresher holds at the end is never a refresh token the provider already consumed.
          const held = refresher.getTokens()?.refreshToken
          if (held !== undefined) expect(provider.consumed.has(held)).toBe(false)
        },
      ),
      { numRuns: 400 },
    )
  })
})
