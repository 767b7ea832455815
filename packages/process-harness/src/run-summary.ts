import type { TokenRequestRecord, WorkerReport } from './worker-protocol.js'

/** The counts of one run over every worker. */
export interface RunSummary {
  calls: number
  failedCalls: number
  /** Failed calls by what they failed with. */
  failures: Record<string, number>
  sessionExpired: number
  storeFailures: Record<string, number>
  tokenRequests: TokenRequestRecord[]
  /**
   * Token requests that replaced tokens with more than half their lifetime left: a refresh that another had already
   * made, which a shared session never needs. Each other request replaced a token that was due.
   */
  needlessTokenRequests: TokenRequestRecord[]
  lockWaitsMs: number[]
  callsMs: number[]
}

/** Adds up the workers' reports; `accessTokenLifetimeMs` tells a due refresh from a needless one. */
export function summarizeRun(
  reports: readonly WorkerReport[],
  accessTokenLifetimeMs: number,
): RunSummary {
  const summary: RunSummary = {
    calls: 0,
    failedCalls: 0,
    failures: {},
    sessionExpired: 0,
    storeFailures: {},
    tokenRequests: [],
    needlessTokenRequests: [],
    lockWaitsMs: [],
    callsMs: [],
  }
  for (const report of reports) {
    summary.calls += report.calls
    summary.failedCalls += report.failedCalls
    summary.sessionExpired += report.sessionExpired
    addCounts(summary.failures, report.failures)
    addCounts(summary.storeFailures, report.storeFailures)
    summary.tokenRequests.push(...report.tokenRequests)
    summary.lockWaitsMs.push(...report.lockWaitsMs)
    summary.callsMs.push(...report.callsMs)
  }
  summary.tokenRequests.sort((a, b) => a.at - b.at)
  summary.needlessTokenRequests = summary.tokenRequests.filter(
    (request) =>
      request.replacedExpiresAt !== undefined &&
      request.replacedExpiresAt - request.at > accessTokenLifetimeMs / 2,
  )
  return summary
}

function addCounts(into: Record<string, number>, from: Record<string, number>): void {
  for (const [name, count] of Object.entries(from)) into[name] = (into[name] ?? 0) + count
}
