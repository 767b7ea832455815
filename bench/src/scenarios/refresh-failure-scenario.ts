import type { Contender, ContenderDefinition } from '../contenders/contender.js'
import type { SimulatedProvider } from '../provider/simulated-provider.js'
import { formatMs, type ScenarioReport, type Table, type TargetResult } from '../report/table.js'
import { sleep } from '../stats.js'
import { runSession, type SessionNoise } from './contender-session.js'
import { formatReasons, RequestLog, type RequestOutcome } from './request-log.js'
import { noiseNotes } from './run-record.js'
import { isTokenflight, type ScenarioContext } from './scenario-context.js'

const requestsPerPhase = 20
const tokenLatencyMs = 10
const apiLatencyMs = { min: 0, max: 5 }

async function concurrentPhase(contender: Contender, deadlineMs = 10_000): Promise<RequestOutcome> {
  const log = new RequestLog()
  for (let index = 0; index < requestsPerPhase; index++) {
    void log.track(contender.get(`/items/${index}`))
  }
  return log.settle(deadlineMs)
}

async function sequentialPhase(contender: Contender): Promise<RequestOutcome> {
  const log = new RequestLog()
  for (let index = 0; index < requestsPerPhase; index++) {
    await log.track(contender.get(`/later/${index}`))
  }
  return log.settle(10_000)
}

/** A session in two phases: while the token endpoint fails, and after. */
interface PhasedRun {
  first: RequestOutcome
  second: RequestOutcome
  firstCalls: number
  secondCalls: number
  callsAfterInvalidGrant: number
  noise: SessionNoise
}

/** One failure mode: what the provider does in each phase, and how the table shows a run. */
interface FailureSpec {
  label: string
  title: string
  description: string
  columns: string[]
  refresherOptions?: { refreshTimeoutMs?: number; refreshBackoffMs?: number }
  phases(
    contender: Contender,
    provider: SimulatedProvider,
  ): Promise<{ first: RequestOutcome; firstCalls: number; second: RequestOutcome }>
  row(run: PhasedRun): string[]
  targets(name: string, run: PhasedRun): TargetResult[]
}

async function runPhases(definition: ContenderDefinition, spec: FailureSpec): Promise<PhasedRun> {
  const refresherOptions = isTokenflight(definition) ? spec.refresherOptions : undefined
  const { result, counters, noise } = await runSession(
    definition,
    {
      provider: { accessTokenLifetimeMs: 3_600_000, tokenLatencyMs, apiLatencyMs },
      initialExpiresInMs: -1_000,
      expiryKnown: true,
      ...(refresherOptions === undefined ? {} : { refresherOptions }),
    },
    (contender, provider) => spec.phases(contender, provider),
  )
  return {
    ...result,
    secondCalls: counters.tokenEndpointCalls - result.firstCalls,
    callsAfterInvalidGrant: counters.callsAfterInvalidGrant,
    noise,
  }
}

async function failureTable(
  context: ScenarioContext,
  spec: FailureSpec,
): Promise<{ table: Table; targets: TargetResult[] }> {
  const rows: string[][] = []
  const noisy: Array<{ name: string; noise: SessionNoise }> = []
  const targets: TargetResult[] = []
  for (const definition of context.contenders) {
    context.progress(`${spec.label}: ${definition.name}`)
    const run = await runPhases(definition, spec)
    noisy.push({ name: definition.name, noise: run.noise })
    rows.push([definition.name, ...spec.row(run)])
    if (isTokenflight(definition)) targets.push(...spec.targets(definition.name, run))
  }
  const common = `The session starts with an expired token whose expiry the client knows. Token endpoint latency ${tokenLatencyMs} ms, API latency ${apiLatencyMs.min}–${apiLatencyMs.max} ms. One run per contender.`
  return {
    table: {
      title: spec.title,
      description: [common, spec.description],
      columns: ['contender', ...spec.columns],
      rows,
      notes: noiseNotes(noisy),
    },
    targets,
  }
}

function reasons(outcome: RequestOutcome): string {
  return formatReasons(outcome.reasons) || '—'
}

function recoveryTargets(scenario: string, name: string, run: PhasedRun): TargetResult[] {
  return [
    {
      target: '1 refresh per expiry',
      scenario,
      subject: name,
      met: run.firstCalls === 1 && run.secondCalls === 1,
      measured: `${run.firstCalls} call during the failure, ${run.secondCalls} after`,
    },
    {
      target: '0 failed requests (once the provider works)',
      scenario,
      subject: name,
      met: run.second.failed === 0,
      measured: `${run.second.failed} of ${run.second.requests} failed after recovery`,
    },
  ]
}

// invalid_grant: the refresh token was revoked; nothing a client sends can succeed, so every call after the
// first invalid_grant is wasted (and, at a provider with reuse detection, suspicious).
const invalidGrant: FailureSpec = {
  label: 'refresh answers invalid_grant',
  title: 'Refresh endpoint answers invalid_grant (session revoked)',
  description: `Every refresh answers 400 \`invalid_grant\`. First ${requestsPerPhase} concurrent GETs, then ${requestsPerPhase} more one after another. Every request must fail (there is no way to a token); what differs is how many times each client asks the token endpoint again, and what error the app gets.`,
  columns: [
    `token-endpoint calls (${requestsPerPhase} concurrent)`,
    `token-endpoint calls (${requestsPerPhase} later, sequential)`,
    'calls after the first invalid_grant',
    'failed requests',
    'settle time (concurrent)',
    'how the concurrent requests failed',
    'how the later requests failed',
  ],
  async phases(contender, provider) {
    provider.setTokenEndpointMode('invalid-grant')
    const first = await concurrentPhase(contender)
    const firstCalls = provider.counters().tokenEndpointCalls
    return { first, firstCalls, second: await sequentialPhase(contender) }
  },
  row: (run) => [
    String(run.firstCalls),
    String(run.secondCalls),
    String(run.callsAfterInvalidGrant),
    `${run.first.failed + run.second.failed} of ${run.first.requests + run.second.requests}`,
    formatMs(run.first.settleMs),
    reasons(run.first),
    reasons(run.second),
  ],
  targets: (name, run) => [
    {
      target: '0 token-endpoint calls after invalid_grant',
      scenario: 'refresh answers invalid_grant',
      subject: name,
      met: run.callsAfterInvalidGrant === 0,
      measured: `${run.callsAfterInvalidGrant} calls after it`,
    },
  ],
}

// After a failed refresh, tokenflight fails fast for a back-off of up to `refreshBackoffMs` (default 1 000 ms,
// DESIGN.md behaviour 22) instead of asking a failing endpoint again. The recovery wave starts after it, for every
// contender alike: a client's own back-off is not a request lost after recovery. A smoke run sets a 100 ms back-off
// to keep the pauses short.
interface Backoff {
  pauseMs: number
  refresherOptions: { refreshBackoffMs?: number }
  text: string
}
const defaultBackoff: Backoff = {
  pauseMs: 1_100,
  refresherOptions: {},
  text: "tokenflight's default back-off after a failed refresh, `refreshBackoffMs`: 1 000 ms",
}
const quickBackoff: Backoff = {
  pauseMs: 150,
  refresherOptions: { refreshBackoffMs: 100 },
  text: "tokenflight's back-off after a failed refresh, set to `refreshBackoffMs: 100` in this smoke run (default 1 000 ms)",
}

// 500: a transient outage. The requests made during it fail; the session must survive it.
function serverError(backoff: Backoff): FailureSpec {
  return {
    label: 'refresh answers 500',
    title: 'Refresh endpoint answers 500, then recovers',
    description: `While the token endpoint answers 500, ${requestsPerPhase} concurrent GETs (they cannot succeed). Then the endpoint recovers, and ${backoff.pauseMs} ms later (past ${backoff.text}, during which it fails fast rather than ask a failing endpoint again) ${requestsPerPhase} more concurrent GETs follow: a client that kept its session sends them all with one refresh.`,
    columns: [
      'token-endpoint calls during the outage',
      'failed during the outage',
      'token-endpoint calls after recovery',
      'failed after recovery',
      'how requests failed during the outage',
      'how requests failed after recovery',
    ],
    async phases(contender, provider) {
      provider.setTokenEndpointMode('server-error')
      const first = await concurrentPhase(contender)
      const firstCalls = provider.counters().tokenEndpointCalls
      provider.setTokenEndpointMode('ok')
      await sleep(backoff.pauseMs)
      return { first, firstCalls, second: await concurrentPhase(contender) }
    },
    refresherOptions: backoff.refresherOptions,
    row: (run) => [
      String(run.firstCalls),
      `${run.first.failed} of ${run.first.requests}`,
      String(run.secondCalls),
      `${run.second.failed} of ${run.second.requests}`,
      reasons(run.first),
      reasons(run.second),
    ],
    targets: (name, run) => recoveryTargets('refresh answers 500, then recovers', name, run),
  }
}

// Hanging: the token endpoint accepts the connection and never answers.
function hanging(
  deadlineMs: number,
  timeoutMs: number,
  dropWaitMs: number,
  backoff: Backoff,
): FailureSpec {
  return {
    label: 'refresh hangs',
    title: 'Refresh endpoint hangs, then recovers',
    description: `The token endpoint holds every refresh open without answering. ${requestsPerPhase} concurrent GETs; after ${deadlineMs} ms the held connections are dropped and the endpoint recovers, and ${backoff.pauseMs} ms after that (past ${backoff.text}, which follows its timed-out refresh) ${requestsPerPhase} more concurrent GETs follow. tokenflight runs with \`refreshTimeoutMs: ${timeoutMs}\` here (default 30 000, longer than this bench may take); the peers have no refresh timeout, and none is configured since their READMEs set none.`,
    columns: [
      'token-endpoint calls while hanging',
      `requests settled within ${deadlineMs} ms`,
      'still pending',
      'settle time',
      'token-endpoint calls after recovery',
      'failed after recovery',
      'how the first requests ended',
    ],
    refresherOptions: { refreshTimeoutMs: timeoutMs, ...backoff.refresherOptions },
    async phases(contender, provider) {
      provider.setTokenEndpointMode('hang')
      const log = new RequestLog()
      const pending: Promise<void>[] = []
      for (let index = 0; index < requestsPerPhase; index++) {
        pending.push(log.track(contender.get(`/items/${index}`)))
      }
      const first = await log.settle(deadlineMs)
      const firstCalls = provider.counters().tokenEndpointCalls
      // The connection drops: clients without a timeout finally see an error.
      provider.releaseHungCalls()
      provider.setTokenEndpointMode('ok')
      await Promise.race([
        Promise.all(pending),
        new Promise((resolve) => setTimeout(resolve, dropWaitMs)),
      ])
      await sleep(backoff.pauseMs)
      return { first, firstCalls, second: await concurrentPhase(contender) }
    },
    row: (run) => [
      String(run.firstCalls),
      String(run.first.requests - run.first.hung),
      String(run.first.hung),
      run.first.hung > 0 ? `> ${deadlineMs} ms` : formatMs(run.first.settleMs),
      String(run.secondCalls),
      `${run.second.failed} of ${run.second.requests}`,
      reasons(run.first),
    ],
    targets: (name, run) => [
      {
        target: 'no request left hanging',
        scenario: 'refresh hangs, then recovers',
        subject: name,
        met: run.first.hung === 0,
        measured: `${run.first.hung} of ${run.first.requests} pending after ${deadlineMs} ms`,
      },
      ...recoveryTargets('refresh hangs, then recovers', name, run),
    ],
  }
}

/** The refresh endpoint answers `invalid_grant` (the session was revoked), 500, or never answers. */
export async function runRefreshFailureScenario(context: ScenarioContext): Promise<ScenarioReport> {
  const specs = [
    invalidGrant,
    serverError(context.quick ? quickBackoff : defaultBackoff),
    context.quick
      ? hanging(800, 300, 300, quickBackoff)
      : hanging(2_500, 1_000, 2_000, defaultBackoff),
  ]
  const report: ScenarioReport = { tables: [], targets: [] }
  for (const spec of specs) {
    const { table, targets } = await failureTable(context, spec)
    report.tables.push(table)
    report.targets.push(...targets)
  }
  return report
}
