import { mkdirSync, writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { allContenders } from './contenders/all-contenders.js'
import { describeEnvironment, installedVersion } from './report/environment.js'
import { renderTable, type ScenarioReport, type TargetResult } from './report/table.js'
import { runBurstScenario } from './scenarios/burst-scenario.js'
import { runCostScenario } from './scenarios/cost-scenario.js'
import { runDPoPScenario } from './scenarios/dpop-scenario.js'
import { runHotPathScenario } from './scenarios/hot-path-scenario.js'
import { runOverheadScenario } from './scenarios/overhead-scenario.js'
import { runProactiveScenario } from './scenarios/proactive-scenario.js'
import { runProcessesScenario } from './scenarios/processes-scenario.js'
import { runRefreshFailureScenario } from './scenarios/refresh-failure-scenario.js'
import { runRefresherPoolScenario } from './scenarios/refresher-pool-scenario.js'
import type { ScenarioContext } from './scenarios/scenario-context.js'
import { runWaiterMemoryScenario } from './scenarios/waiter-memory-scenario.js'
import { runWavesScenario } from './scenarios/waves-scenario.js'

const scenarios: Record<string, (context: ScenarioContext) => Promise<ScenarioReport>> = {
  burst: runBurstScenario,
  waves: runWavesScenario,
  failures: runRefreshFailureScenario,
  proactive: runProactiveScenario,
  overhead: runOverheadScenario,
  cost: runCostScenario,
  'hot-path': runHotPathScenario,
  memory: runWaiterMemoryScenario,
  pool: runRefresherPoolScenario,
  processes: runProcessesScenario,
  dpop: runDPoPScenario,
}
// Left out of `--quick` unless named in `--only`: six child processes per row take longer than a smoke run should.
const fullRunOnly = new Set(['processes'])

const usage = `Usage: pnpm bench [--quick] [--only=${Object.keys(scenarios).join(',')}]`

const args = process.argv.slice(2).filter((arg) => arg !== '--')
const quick = args.includes('--quick')
const onlyArg = args.find((arg) => arg.startsWith('--only='))
const only = onlyArg?.slice('--only='.length).split(',')
const unknown = args.filter((arg) => arg !== '--quick' && !arg.startsWith('--only='))
if (unknown.length > 0 || only?.some((name) => !(name in scenarios))) {
  process.stderr.write(`${usage}\n`)
  process.exit(2)
}

const startedAt = new Date()
const loadAtStart = loadavg()
const started = performance.now()
const context: ScenarioContext = {
  quick,
  contenders: allContenders,
  progress: (line) => process.stderr.write(`  ${line}\n`),
}
const reports: ScenarioReport[] = []
for (const [name, run] of Object.entries(scenarios)) {
  if (only !== undefined && !only.includes(name)) continue
  if (quick && only === undefined && fullRunOnly.has(name)) continue
  process.stderr.write(`${name}\n`)
  const scenarioStarted = performance.now()
  reports.push(await run(context))
  process.stderr.write(`  (${((performance.now() - scenarioStarted) / 1000).toFixed(1)} s)\n`)
}
const elapsedSeconds = (performance.now() - started) / 1000
const targets = reports.flatMap((report) => report.targets)
const markdown = renderReport(reports, targets, elapsedSeconds)
process.stdout.write(markdown)

const resultsDirectory = new URL('../results/', import.meta.url)
mkdirSync(resultsDirectory, { recursive: true })
// Only a full run of every scenario replaces the committed results; anything else goes to an ignored file.
const complete = !quick && only === undefined
const resultsFile = new URL(complete ? 'latest.md' : 'partial.md.tmp', resultsDirectory)
writeFileSync(resultsFile, markdown)
process.stderr.write(`\nWritten to ${resultsFile.pathname} in ${elapsedSeconds.toFixed(0)} s\n`)
// Some peers keep timers (OAuth2Fetch schedules a refresh an hour ahead): the bench is done, so it ends here.
process.exit(0)

// One row per target and scenario, with what each of tokenflight's rows measured; misses first.
function targetRows(targets: TargetResult[]): string[] {
  const groups = new Map<string, TargetResult[]>()
  for (const target of targets) {
    const key = `${target.target}\u0000${target.scenario}`
    groups.set(key, [...(groups.get(key) ?? []), target])
  }
  const rows = [...groups.values()].map((group) => {
    const [first] = group as [TargetResult]
    const met = group.every((target) => target.met)
    const measured = group
      .map(
        (target) =>
          `${target.met ? '' : '**'}${target.subject.replace(/^tokenflight \+ /, '')}: ${target.measured}${target.met ? '' : '**'}`,
      )
      .join('; ')
    return {
      met,
      line: `| ${met ? 'met' : '**MISSED**'} | ${first.target} | ${first.scenario} | ${measured.replaceAll('|', '\\|')} |`,
    }
  })
  return [...rows.filter((row) => !row.met), ...rows.filter((row) => row.met)].map(
    (row) => row.line,
  )
}

function renderReport(reports: ScenarioReport[], targets: TargetResult[], seconds: number): string {
  const misses = targets.filter((target) => !target.met)
  const lines = [
    `# tokenflight bench${quick ? ' (quick smoke run: fewer runs and iterations, not for citing)' : ''}`,
    '',
    `Generated by \`pnpm bench${quick ? ' --quick' : ''}\` in ${seconds.toFixed(0)} s. See [README.md](../README.md) for what each scenario does and how to read it.`,
    '',
    ...describeEnvironment(startedAt, loadAtStart),
    '',
    '## Targets (issue 5)',
    '',
    misses.length === 0
      ? `tokenflight meets all ${targets.length} target checks.`
      : `**tokenflight misses ${misses.length} of ${targets.length} target checks**: ${[...new Set(misses.map((miss) => miss.target))].join('; ')}. Misses first.`,
    '',
    '| | target | scenario | measured |',
    '|---|---|---|---|',
    ...targetRows(targets),
    '',
    "Where a check failed, read it next to its table's *event loop late by* column: on this machine other work can stall the bench's event loop, and a stall longer than a 100 ms token's remaining lifetime can fail a request in any client.",
    '',
    '## Definitions',
    '',
    '- **Refreshes**: requests that reached the token endpoint, whatever it answered.',
    '- **Expiries**: access-token lifetimes the session had to replace, counted by the provider once per token: the newest token it issued either expired while requests kept coming (an API request arrived after its expiry), or a refresh arrived in the second half of its lifetime. A token replaced in the first half of its lifetime was replaced needlessly and adds no expiry, so a client that refreshes ahead of expiry is credited like one that waits for the 401, and extra refreshes cannot inflate the count.',
    '- **Refreshes per expiry**: refreshes divided by expiries, over all runs of a row. 1.00 is one refresh per needed token; above 1, the extra calls were duplicates (often answered `invalid_grant`) or replaced fresh tokens.',
    '- **Failed requests**: requests whose final result was not a 2xx answer (an error, a 401 handed to the caller) or that were still pending at the scenario deadline.',
    '- **Settle time**: from the first request sent to the last one settled.',
    '- **Overhead ratio**: contender time over raw client time for the same requests; see the overhead table for the two ways it is computed.',
    '- The targets "1 refresh per expiry" and "0 failed requests" apply where the provider works. Where the token endpoint fails, requests must fail while it does; there the target is one call per failure for any number of waiting requests, 0 calls after `invalid_grant`, no request left hanging, and 0 failed requests once the endpoint recovers.',
    '',
    '## Contenders',
    '',
    '| contender | package | configuration |',
    '|---|---|---|',
    ...allContenders.map(
      (definition) =>
        `| ${definition.name} | ${definition.packageName}${definition.packageName.startsWith('(') ? '' : ` ${installedVersion(definition.packageName)}`} | ${definition.configuration.replaceAll('|', '\\|')} |`,
    ),
    '',
    'Raw baselines (overhead only): raw axios, raw ky and raw fetch send a static `Authorization` header and do nothing else.',
    '',
    '## Results',
    '',
  ]
  for (const report of reports) {
    for (const table of report.tables) lines.push(renderTable(table))
  }
  return `${lines.join('\n')}\n`
}
