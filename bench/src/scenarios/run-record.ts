import type { ProviderCounters } from '../provider/simulated-provider.js'
import { formatMs, formatRatio, type Table, type TargetResult } from '../report/table.js'
import { median, sum } from '../stats.js'
import type { SessionNoise } from './contender-session.js'
import { formatReasons, type RequestOutcome } from './request-log.js'

/** One run of one contender in one scenario. */
export interface RunRecord {
  outcome: RequestOutcome
  counters: ProviderCounters
  noise: SessionNoise
}

/** The totals over a contender's runs that every correctness table shows. */
export interface RunTotals {
  runs: number
  requests: number
  failed: number
  tokenEndpointCalls: number
  expiries: number
  /** Token-endpoint calls divided by expiries. */
  refreshesPerExpiry: number
  invalidGrants: number
  unauthorized: number
  redundantRefreshes: number
  settleMs: number
  /** The fastest and the slowest run's settle time. */
  settleRangeMs: { min: number; max: number }
  reasons: string
  noise: SessionNoise
}

export function totalsOf(records: readonly RunRecord[]): RunTotals {
  const reasons = new Map<string, number>()
  for (const { outcome } of records) {
    for (const [reason, count] of outcome.reasons) {
      reasons.set(reason, (reasons.get(reason) ?? 0) + count)
    }
  }
  const calls = sum(records.map((record) => record.counters.tokenEndpointCalls))
  const expiries = sum(records.map((record) => record.counters.expiries))
  const settleTimes = records.map((record) => record.outcome.settleMs)
  return {
    runs: records.length,
    requests: sum(records.map((record) => record.outcome.requests)),
    failed: sum(records.map((record) => record.outcome.failed)),
    tokenEndpointCalls: calls,
    expiries,
    refreshesPerExpiry: expiries === 0 ? Number.NaN : calls / expiries,
    invalidGrants: sum(records.map((record) => record.counters.invalidGrants)),
    unauthorized: sum(records.map((record) => record.counters.unauthorized)),
    redundantRefreshes: sum(records.map((record) => record.counters.redundantRefreshes)),
    settleMs: median(settleTimes),
    settleRangeMs: { min: Math.min(...settleTimes), max: Math.max(...settleTimes) },
    reasons: formatReasons(reasons),
    noise: {
      logLines: sum(records.map((record) => record.noise.logLines)),
      unhandledRejections: sum(records.map((record) => record.noise.unhandledRejections)),
      eventLoopDelayMaxMs: Math.max(...records.map((record) => record.noise.eventLoopDelayMaxMs)),
    },
  }
}

/**
 * The columns of a table whose scenario has a working provider. With `perLifetime`, a column divides refreshes
 * by the token lifetimes the traffic spanned: a rate that does not depend on the contender at all.
 */
export function correctnessColumns(perLifetime = false): string[] {
  return [
    'contender',
    'requests',
    'refreshes (token-endpoint calls)',
    'expiries',
    'refreshes per expiry',
    ...(perLifetime ? ['refreshes per lifetime of traffic'] : []),
    'failed requests',
    'invalid_grant',
    '401s served',
    'settle time (median)',
    'settle time (fastest–slowest run)',
    'event loop late by (max)',
    'how requests failed',
  ]
}

/** `lifetimesPerRun`: how many token lifetimes one run's traffic spans, for the per-lifetime column. */
export function correctnessRow(
  name: string,
  totals: RunTotals,
  lifetimesPerRun?: number,
): string[] {
  return [
    name,
    String(totals.requests),
    String(totals.tokenEndpointCalls),
    String(totals.expiries),
    formatRatio(totals.refreshesPerExpiry),
    ...(lifetimesPerRun === undefined
      ? []
      : [formatRatio(totals.tokenEndpointCalls / (lifetimesPerRun * totals.runs))]),
    `${totals.failed} of ${totals.requests}`,
    String(totals.invalidGrants),
    String(totals.unauthorized),
    formatMs(totals.settleMs),
    totals.runs > 1
      ? `${formatMs(totals.settleRangeMs.min)}–${formatMs(totals.settleRangeMs.max)}`
      : '—',
    formatMs(totals.noise.eventLoopDelayMaxMs),
    totals.reasons === '' ? '—' : totals.reasons,
  ]
}

/** Library console lines and unhandled rejections, when there were any, as a note below a table. */
export function noiseNotes(rows: ReadonlyArray<{ name: string; noise: SessionNoise }>): string[] {
  const noisy = rows.filter(({ noise }) => noise.logLines > 0 || noise.unhandledRejections > 0)
  if (noisy.length === 0) return []
  return [
    `Console lines and unhandled rejections the libraries produced (silenced in this report): ${noisy
      .map(
        ({ name, noise }) =>
          `${name}: ${noise.logLines} lines, ${noise.unhandledRejections} unhandled rejections`,
      )
      .join('; ')}.`,
  ]
}

/** The two targets every tokenflight row of a working-provider scenario is held to. */
export function tokenflightTargets(
  scenario: string,
  name: string,
  totals: RunTotals,
): TargetResult[] {
  return [
    {
      target: '1 refresh per expiry',
      scenario,
      subject: name,
      met: totals.tokenEndpointCalls === totals.expiries && totals.expiries > 0,
      measured: `${totals.tokenEndpointCalls} refreshes / ${totals.expiries} expiries`,
    },
    {
      target: '0 failed requests',
      scenario,
      subject: name,
      met: totals.failed === 0,
      measured:
        totals.failed === 0
          ? `${totals.failed} of ${totals.requests} failed`
          : `${totals.failed} of ${totals.requests} failed, event loop late by up to ${formatMs(totals.noise.eventLoopDelayMaxMs)}`,
    },
  ]
}

/** A working-provider scenario's table; `lifetimesPerRun` adds the per-lifetime column. */
export function correctnessTable(
  title: string,
  description: string[],
  rows: ReadonlyArray<{ name: string; totals: RunTotals }>,
  lifetimesPerRun?: number,
): Table {
  return {
    title,
    description,
    columns: correctnessColumns(lifetimesPerRun !== undefined),
    rows: rows.map(({ name, totals }) => correctnessRow(name, totals, lifetimesPerRun)),
    notes: noiseNotes(rows.map(({ name, totals }) => ({ name, noise: totals.noise }))),
  }
}
