import { describe, expect, it } from 'vitest'
import { summarizeRun } from '../src/index.js'
import {
  accessTokenLifetimeMs,
  type StoreKind,
  signIn,
  useSessionSetup,
} from './support/session-setup.js'

const kinds: StoreKind[] = ['file', 'redis']
const sessions = useSessionSetup(kinds)

describe.each(kinds)('shared refresh: six processes on one %s store', (kind) => {
  it('make one refresh per expiry among them, with no invalid_grant, no reuse and no failed call', async () => {
    const session = await sessions.setup(kind)
    await session.open().set(signIn(session.provider))
    const workers = await session.start(6)
    // Ten expiries, however long the machine takes for them.
    workers.start(30_000)
    await workers.tokenRequestsReach(10)
    workers.stop()
    const summary = summarizeRun(await workers.reports(), accessTokenLifetimeMs)
    const { stats } = session.provider.simulator

    expect(summary.failures).toEqual({})
    expect(summary.failedCalls).toBe(0)
    expect(summary.sessionExpired).toBe(0)
    expect(stats.reusedRefreshTokens).toBe(0)
    // Each refresh replaced a token that was due: one refresh per expiry, none made twice.
    expect(summary.needlessTokenRequests).toEqual([])
    expect(summary.tokenRequests.length).toBeGreaterThanOrEqual(10)
    expect(stats.refreshCalls).toBe(summary.tokenRequests.length)
    expect(summary.calls).toBeGreaterThan(6 * 3 * 10)
  }, 30_000)
})
