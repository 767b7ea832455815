import type { Contender, ContenderDefinition } from '../contenders/contender.js'
import type { ScenarioReport, Table, TargetResult } from '../report/table.js'
import { runSession, type SessionOptions } from './contender-session.js'
import type { RequestOutcome } from './request-log.js'
import { type RunRecord, type RunTotals, tokenflightTargets, totalsOf } from './run-record.js'
import { isTokenflight, type ScenarioContext } from './scenario-context.js'

/** How a working-provider scenario runs each contender. */
export interface MeasureOptions {
  /** Names the scenario in progress lines and target checks. */
  scenario: string
  contenders: readonly ContenderDefinition[]
  /** Recorded runs per contender, each on a fresh provider and client. */
  runs: number
  /** Whether an unrecorded run warms the JIT up for each contender's code first. */
  warmUp: boolean
  session(run: number): SessionOptions
  /** Sends the scenario's requests and reports how they ended. */
  traffic(contender: Contender): Promise<RequestOutcome>
}

/**
 * Runs every contender of a scenario and checks tokenflight's rows against the targets. The contenders take turns
 * run by run, each run starting with the next one, so that a change in the machine's load (other work on a shared
 * 2-core machine can double a run's time for seconds) meets every contender alike rather than one contender's block.
 */
export async function measureContenders(
  context: ScenarioContext,
  options: MeasureOptions,
): Promise<{ rows: Array<{ name: string; totals: RunTotals }>; targets: TargetResult[] }> {
  const { contenders } = options
  const records = contenders.map((): RunRecord[] => [])
  const firstRecorded = options.warmUp ? 1 : 0
  for (let run = 0; run < firstRecorded + options.runs; run++) {
    const recorded = run >= firstRecorded
    context.progress(
      `${options.scenario}: ${recorded ? `run ${run - firstRecorded + 1} of ${options.runs}` : 'warm-up'}`,
    )
    for (let turn = 0; turn < contenders.length; turn++) {
      const index = (run + turn) % contenders.length
      const { result, counters, noise } = await runSession(
        contenders[index] as ContenderDefinition,
        options.session(run),
        options.traffic,
      )
      if (recorded) records[index]?.push({ outcome: result, counters, noise })
    }
  }
  const rows: Array<{ name: string; totals: RunTotals }> = []
  const targets: TargetResult[] = []
  for (const [index, definition] of contenders.entries()) {
    const totals = totalsOf(records[index] ?? [])
    rows.push({ name: definition.name, totals })
    if (isTokenflight(definition)) {
      targets.push(...tokenflightTargets(options.scenario, definition.name, totals))
    }
  }
  return { rows, targets }
}

/** One pass of a scenario in an expiry mode, and the contenders that can run in it. */
export interface ExpiryMode {
  expiryKnown: boolean
  /** `burst, expiry known`, for progress lines and target checks. */
  scenario: string
  contenders: ContenderDefinition[]
}

/**
 * Runs a scenario with the expiry unknown to the clients, then known; a contender that needs a known expiry
 * (axios-jwt) runs in the second pass only.
 */
export async function forEachExpiryMode(
  context: ScenarioContext,
  name: string,
  pass: (mode: ExpiryMode) => Promise<{ table: Table; targets: TargetResult[] }>,
): Promise<ScenarioReport> {
  const report: ScenarioReport = { tables: [], targets: [] }
  for (const expiryKnown of [false, true]) {
    const { table, targets } = await pass({
      expiryKnown,
      scenario: `${name}, expiry ${expiryKnown ? 'known' : 'unknown'}`,
      contenders: context.contenders.filter(
        (definition) => expiryKnown || !definition.needsKnownExpiry,
      ),
    })
    report.tables.push(table)
    report.targets.push(...targets)
  }
  return report
}
