import { createClient } from '@redis/client'
import { describe, expect, it } from 'vitest'
import { summarizeRun } from '../src/index.js'
import { accessTokenLifetimeMs, signIn, useSessionSetup } from './support/session-setup.js'

const sessions = useSessionSetup(['redis'])

describe('when Redis stops and comes back mid-run', () => {
  it('fails calls as transient while it is down, loses no token, and every process recovers', async () => {
    // A lock held when Redis stops comes back with it, and lasts out its lease.
    const session = await sessions.setup('redis', { leaseMs: 2_500 })
    const shared = session.store
    if (shared.kind !== 'redis') throw new Error('Expected a Redis session')
    const redis = sessions.redis()
    const store = session.open()
    await store.set(signIn(session.provider))
    // A short back-off, so that the refreshers try again soon after Redis is back.
    const workers = await session.start(6, { refreshBackoffMs: 100, maxRefreshBackoffMs: 400 })
    workers.start(60_000)
    await workers.tokenRequestsReach(3)

    // Stopped right after a write, so that no refresh is between the token endpoint and the store: a refresh that
    // got new tokens and cannot save them is a different failure, which no store can prevent.
    const watcher = createClient({ url: redis.url })
    await watcher.connect()
    const written = new Promise<void>((resolve) => {
      void watcher.subscribe(`${shared.key}:changes`, () => resolve())
    })
    await written
    watcher.destroy()
    const before = await store.get()
    const stoppedAt = Date.now()
    await redis.stop({ save: true })
    const requestsWhileDown = workers.tokenRequests.length
    // Down for several token lifetimes: every process needs a refresh meanwhile.
    await new Promise((resolve) => setTimeout(resolve, 4 * accessTokenLifetimeMs))
    expect(workers.tokenRequests.length).toBe(requestsWhileDown)
    await redis.start()
    await workers.tokenRequestsReach(requestsWhileDown + 4)
    const recovery = workers.tokenRequests[requestsWhileDown]
    const recoveredAt = recovery?.at ?? Number.POSITIVE_INFINITY
    workers.stop()
    // The first refresh after the outage started from the tokens stored before it: nothing was lost.
    expect(before?.expiresAt).toBeDefined()
    expect(recovery?.replacedExpiresAt).toBe(before?.expiresAt)

    const reports = await workers.reports()
    const summary = summarizeRun(reports, accessTokenLifetimeMs)
    expect(session.provider.simulator.stats.reusedRefreshTokens).toBe(0)
    expect(summary.sessionExpired).toBe(0)
    expect(summary.needlessTokenRequests).toEqual([])
    // Calls failed while Redis was down, as transient refresh failures that name the store's error.
    expect(Object.keys(summary.failures).length).toBeGreaterThan(0)
    for (const failure of Object.keys(summary.failures)) {
      expect(failure).toBe('RefreshFailedError REFRESH_FAILED (RedisTokenStoreError unavailable)')
    }
    const failedAt = reports.flatMap((report) => report.failedAt.map((failure) => failure.at))
    expect(Math.min(...failedAt)).toBeGreaterThanOrEqual(stoppedAt)
    // And every process called successfully again after its last failure.
    for (const report of reports) {
      const lastFailedAt = Math.max(0, ...report.failedAt.map((failure) => failure.at))
      expect(report.lastOkCallAt).toBeGreaterThan(Math.max(lastFailedAt, recoveredAt))
    }
  }, 60_000)
})
