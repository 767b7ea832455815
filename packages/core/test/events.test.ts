import { describe, expect, it, vi } from 'vitest'
import { createTokenRefresher, SessionExpiredError, type TokenRefreshEvent } from '../src/index.js'
import { controlledRefresh, flushPromises, hour, manualClock, sharedSession } from './support.js'

function recorder() {
  const events: TokenRefreshEvent[] = []
  return { events, onEvent: (event: TokenRefreshEvent) => events.push(event) }
}

describe('events', () => {
  it('reports a refresh that rotated the refresh token, with its reason, duration and expiry', async () => {
    const clock = manualClock()
    const { events, onEvent } = recorder()
    const { refresh, calls } = controlledRefresh()
    const refresher = createTokenRefresher({
      refresh,
      onEvent,
      now: clock.now,
      initialTokens: { accessToken: 'a', refreshToken: 'r1', expiresAt: clock.now() - 1 },
    })

    const token = refresher.getAccessToken()
    clock.advance(250)
    calls[0]?.resolve({ accessToken: 'b', refreshToken: 'r2', expiresAt: clock.now() + hour })
    await token

    expect(events).toEqual([
      { type: 'refresh-started', reason: 'expired' },
      {
        type: 'refresh-succeeded',
        reason: 'expired',
        durationMs: 250,
        expiresAt: clock.now() + hour,
        refreshTokenRotated: true,
        late: false,
        adopted: false,
        superseded: false,
      },
    ])
  })

  it('ends a refresh that waited for the lock with refresh-failed when the tokens are cleared meanwhile', async () => {
    const session = sharedSession({
      accessToken: 'a',
      refreshToken: 'r1',
      expiresAt: Date.now() - 1,
    })
    // Another refresher holds the lock for as long as its refresh takes.
    const { refresh: holdersRefresh, calls: holdersCalls } = controlledRefresh()
    const holder = createTokenRefresher({
      refresh: holdersRefresh,
      store: session.storeFor('holder'),
    })
    const holding = holder.getAccessToken().catch((error: unknown) => error)
    await flushPromises()
    expect(holdersCalls).toHaveLength(1)
    const { events, onEvent } = recorder()
    const waiter = createTokenRefresher({
      refresh: async () => ({ accessToken: 'never', expiresAt: Date.now() + hour }),
      store: session.storeFor('waiter'),
      onEvent,
    })

    const waiting = waiter.getAccessToken().catch((error: unknown) => error)
    await flushPromises()
    await waiter.clear()

    expect(await waiting).toBeInstanceOf(SessionExpiredError)
    expect(events.map((event) => event.type)).toEqual(['refresh-started', 'refresh-failed'])
    holdersCalls[0]?.resolve({ accessToken: 'b', expiresAt: Date.now() + hour })
    await holding
  })

  it.each([
    [
      'missing',
      (refresher: ReturnType<typeof createTokenRefresher>) => refresher.getAccessToken(),
      undefined,
    ],
    [
      'unauthorized',
      (refresher: ReturnType<typeof createTokenRefresher>) =>
        refresher.refreshAfterUnauthorized('a'),
      { accessToken: 'a' },
    ],
    [
      'forced',
      (refresher: ReturnType<typeof createTokenRefresher>) => refresher.refresh(),
      { accessToken: 'a' },
    ],
  ] as const)('names the reason %s', async (reason, call, initialTokens) => {
    const { events, onEvent } = recorder()
    const refresher = createTokenRefresher({
      refresh: async () => ({ accessToken: 'b' }),
      onEvent,
      ...(initialTokens === undefined ? {} : { initialTokens }),
    })

    await call(refresher)

    expect(events[0]).toEqual({ type: 'refresh-started', reason })
  })

  it('reports a failed refresh with the typed error, then the session expiry', async () => {
    const { events, onEvent } = recorder()
    const refresher = createTokenRefresher({
      refresh: async () => {
        throw { error: 'invalid_grant' }
      },
      onEvent,
      initialTokens: { accessToken: 'a', refreshToken: 'r1' },
    })

    const error = await refresher.refresh().catch((caught: unknown) => caught)

    expect(error).toBeInstanceOf(SessionExpiredError)
    expect(events.map((event) => event.type)).toEqual([
      'refresh-started',
      'refresh-failed',
      'session-expired',
    ])
    expect(events[1]).toMatchObject({ reason: 'forced', error })
    expect(events[2]).toEqual({ type: 'session-expired', error })
  })

  it('reports a refresh whose result was not used because tokens were set meanwhile', async () => {
    const { events, onEvent } = recorder()
    const { refresh, calls } = controlledRefresh()
    const refresher = createTokenRefresher({
      refresh,
      onEvent,
      initialTokens: { accessToken: 'a' },
    })

    const waiting = refresher.refresh()
    await refresher.setTokens({ accessToken: 'signed-in' })
    calls[0]?.resolve({ accessToken: 'b' })
    await waiting

    expect(events.at(-1)).toMatchObject({ type: 'refresh-succeeded', superseded: true })
  })

  it('keeps working when the listener throws, and says so on console.error', async () => {
    const consoleError = vi.spyOn(console, 'error').mockImplementation(() => {})
    const refresher = createTokenRefresher({
      refresh: async () => ({ accessToken: 'b' }),
      onEvent: () => {
        throw new Error('metrics backend down')
      },
    })

    expect(await refresher.getAccessToken()).toBe('b')
    await flushPromises()
    expect(consoleError).toHaveBeenCalledWith(
      'tokenflight: the onEvent listener threw',
      expect.any(Error),
    )
    consoleError.mockRestore()
  })
})
