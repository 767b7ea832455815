import { describe, expect, it } from 'vitest'
import { fingerprint, summarizeRun } from '../src/index.js'
import {
  accessTokenLifetimeMs,
  type StoreKind,
  signIn,
  useSessionSetup,
} from './support/session-setup.js'

const kinds: StoreKind[] = ['file', 'redis']
const sessions = useSessionSetup(kinds)
// Short, so that the others wait for a dead holder no longer than this.
const leaseMs = 1_000

describe.each(kinds)('dead holders: on one %s store', (kind) => {
  it('a process killed (SIGKILL) while it holds the lock mid-refresh leaves the others to finish without a failed call', async () => {
    const session = await sessions.setup(kind, { leaseMs })
    const { simulator } = session.provider
    await session.open().set(signIn(session.provider))
    const workers = await session.start(4)
    // The first token request waits at the provider, so its process holds the lock; when that process dies, the
    // request is dropped unanswered, as a request cut off before the provider acted on it would be.
    const gate = simulator.holdTokenRequests(1)
    simulator.failTokenRequests('hang')
    workers.start(30_000)
    await Promise.all([gate.arrived, workers.tokenRequestsReach(1)])
    const holder = workers.workers.find((worker) => worker.pid === workers.tokenRequests[0]?.pid)
    expect(holder).toBeDefined()
    holder?.process.kill('SIGKILL')
    gate.release()
    // Three more expiries after the lock went stale.
    await workers.tokenRequestsReach(4)
    workers.stop()

    const reports = await workers.reports()
    expect(reports.map((report) => report.pid)).not.toContain(holder?.pid)
    expect(reports).toHaveLength(3)
    const summary = summarizeRun(reports, accessTokenLifetimeMs)
    expect(summary.failures).toEqual({})
    expect(summary.sessionExpired).toBe(0)
    expect(simulator.stats.reusedRefreshTokens).toBe(0)
    expect(summary.needlessTokenRequests).toEqual([])
    // Every survivor went on calling after the holder died.
    const killedAt = workers.tokenRequests[0]?.at ?? 0
    for (const report of reports) expect(report.lastOkCallAt).toBeGreaterThan(killedAt + leaseMs)
  }, 40_000)

  it("a holder stalled (SIGSTOP) past its lease has its write refused, and the store keeps the newer holder's tokens", async () => {
    const session = await sessions.setup(kind, { leaseMs })
    const { simulator } = session.provider
    const store = session.open()
    await store.set(signIn(session.provider))
    // A grant that rotates nothing: the stalled holder's request stays harmless to the session, and the test shows
    // what fencing does, which is to keep its late result out of the store. (With a rotating refresh token that the
    // provider had already consumed, the session would end whatever the store did; see the README.) The stalled
    // holder does not subscribe, so that on waking it writes rather than adopt what a peer's notification told.
    const options = { grant: 'client-credentials', subscribe: false } as const
    const [stalledRun, peerRun] = [await session.start(1, options), await session.start(2, options)]
    const stalled = stalledRun.workers[0]
    if (stalled === undefined) throw new Error('No worker started')
    const gate = simulator.holdTokenRequests(1)
    stalledRun.start(30_000)
    await Promise.all([gate.arrived, stalledRun.tokenRequestsReach(1)])
    // The provider answers while the holder is stopped, as during a long GC pause; its lease runs out meanwhile.
    stalled.process.kill('SIGSTOP')
    gate.release()
    peerRun.start(30_000)
    await peerRun.tokenRequestsReach(2)
    peerRun.stop()
    const peerReports = await peerRun.reports()
    const newest = await store.get()

    stalled.process.kill('SIGCONT')
    await stalledRun.tokenResponsesReach(1)
    stalledRun.stop()
    const [stalledReport] = await stalledRun.reports()

    expect(stalledReport?.storeFailures).toEqual({ 'lock-lost': 1 })
    expect(await store.get()).toEqual(newest)
    expect(fingerprint(newest?.accessToken ?? '')).not.toBe(
      stalledReport?.tokenResponses[0]?.accessTokenFingerprint,
    )
    const summary = summarizeRun(
      [...peerReports, ...(stalledReport ? [stalledReport] : [])],
      accessTokenLifetimeMs,
    )
    expect(summary.failures).toEqual({})
    expect(summary.sessionExpired).toBe(0)
  }, 40_000)
})
