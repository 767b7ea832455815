import { measureCpuTimes } from '../cost/cpu-time.js'
import {
  countInstructions,
  hasValgrind,
  type InstructionCount,
  withConcurrency,
} from '../cost/instruction-count.js'
import { coreWorkloads, requestWorkloads, type WorkloadDefinition } from '../cost/workloads.js'
import type { ScenarioReport, TargetResult } from '../report/table.js'
import { median } from '../stats.js'
import type { ScenarioContext } from './scenario-context.js'

/** tokenflight's own cost per request, by client. */
const budgetNs = { fetch: 500, axios: 1_000, ky: 1_000 } as const

// Operations per CPU-time batch, about a second each on this machine: a fetch request through the stub costs
// about 5 µs, an axios request about 40 µs, a ky request about 150 µs.
const batchByClient = { fetch: 200_000, axios: 20_000, ky: 5_000 } as const
const coreBatch = 1_000_000

// Callgrind runs fetch requests about 50 times slower than Node does; axios and ky requests are too costly there
// for blocks that settle within minutes (their JIT is still warming after thousands of requests, and the count per
// request falls from block to block), so they get CPU time only.
const countedClients = new Set(['fetch'])
const instructionOptions = { warmup: 20_000, n: 20_000 }

function batchOf(definition: WorkloadDefinition, quick: boolean): number {
  const batch = definition.client === undefined ? coreBatch : batchByClient[definition.client]
  return quick ? batch / 20 : batch
}

const formatNs = (ns: number) =>
  Number.isFinite(ns)
    ? `${ns >= 10_000 ? (ns / 1000).toFixed(1) : ns.toFixed(0)} ${ns >= 10_000 ? 'µs' : 'ns'}`
    : '—'
const formatCount = (count: number | undefined) =>
  count === undefined ? '—' : Math.round(count).toLocaleString('en')
const signed = (text: string, value: number) => (value > 0 ? `+${text}` : text)

interface Row {
  definition: WorkloadDefinition
  cpuNs: number[]
  instructions: InstructionCount | undefined
  countError: string | undefined
}

/**
 * Each contender's own cost per request, in-process against a stub transport that answers at once: CPU time per
 * request in a worker process of its own, and where valgrind is installed, callgrind's instruction count.
 */
export async function runCostScenario(context: ScenarioContext): Promise<ScenarioReport> {
  const runs = context.quick ? 2 : 5
  // A smoke run leaves out core alone, which the hot-path scenario measures too.
  const all = context.quick ? requestWorkloads : [...requestWorkloads, ...coreWorkloads]
  const batches = new Map(
    all.map((definition) => [definition.id, batchOf(definition, context.quick)]),
  )
  const times = await measureCpuTimes(
    all.map((definition) => definition.id),
    {
      warmup: context.quick ? 500 : 20_000,
      runs,
      batch: (id) => batches.get(id) ?? 1_000,
    },
    context.progress,
  )

  // Instruction counts are for the full run only: each workload takes half a minute under callgrind.
  const counting = !context.quick && hasValgrind()
  const counted = all.filter(
    (definition) => definition.client === undefined || countedClients.has(definition.client),
  )
  const counts = new Map<string, InstructionCount | Error>()
  if (counting) {
    await withConcurrency(
      2,
      counted.map((definition) => async () => {
        context.progress(`cost, instructions: ${definition.name}`)
        try {
          counts.set(definition.id, await countInstructions(definition.id, instructionOptions))
        } catch (error) {
          counts.set(definition.id, error instanceof Error ? error : new Error(String(error)))
        }
      }),
    )
  }

  const rows: Row[] = all.map((definition) => {
    const count = counts.get(definition.id)
    return {
      definition,
      cpuNs: times.get(definition.id)?.cpuNs ?? [],
      instructions: count instanceof Error ? undefined : count,
      countError: count instanceof Error ? count.message : undefined,
    }
  })
  const rawOf = (client: string | undefined) =>
    rows.find((row) => row.definition.role === 'raw' && row.definition.client === client)

  const requestRows: string[][] = []
  const targets: TargetResult[] = []
  const added = new Map<string, { ns: number; instructions: number | undefined }>()
  for (const row of rows) {
    if (row.definition.client === undefined) continue
    const raw = rawOf(row.definition.client) as Row
    const cpu = median(row.cpuNs)
    // Runs take turns batch by batch, so a run's difference compares batches that met the same load.
    const addedCpu = median(row.cpuNs.map((ns, run) => ns - (raw.cpuNs[run] ?? Number.NaN)))
    const instructions = row.instructions?.perOperation
    const rawInstructions = raw.instructions?.perOperation
    const addedInstructions =
      instructions === undefined || rawInstructions === undefined
        ? undefined
        : instructions - rawInstructions
    // The raw client's CPU time per instruction, on the same code path: it turns added instructions into
    // nanoseconds that the machine's load cannot swing.
    const addedFromInstructions =
      addedInstructions === undefined || rawInstructions === undefined
        ? undefined
        : (addedInstructions * median(raw.cpuNs)) / rawInstructions
    const isRaw = row.definition.role === 'raw'
    added.set(row.definition.id, {
      ns: addedFromInstructions ?? addedCpu,
      instructions: addedInstructions,
    })
    requestRows.push([
      row.definition.name,
      row.definition.client,
      formatCount(instructions),
      isRaw || addedInstructions === undefined
        ? '—'
        : signed(formatCount(addedInstructions), addedInstructions),
      isRaw || addedFromInstructions === undefined
        ? '—'
        : signed(formatNs(addedFromInstructions), addedFromInstructions),
      formatNs(cpu),
      `${formatNs(Math.min(...row.cpuNs))}–${formatNs(Math.max(...row.cpuNs))}`,
      isRaw ? '—' : signed(formatNs(addedCpu), addedCpu),
    ])
  }

  for (const client of ['fetch', 'axios', 'ky'] as const) {
    const ours = rows.find(
      (row) => row.definition.role === 'tokenflight' && row.definition.client === client,
    )
    if (ours === undefined) continue
    const own = added.get(ours.definition.id) as { ns: number; instructions: number | undefined }
    const basis = own.instructions === undefined ? 'CPU time' : 'instructions'
    targets.push({
      target: `added cost per request ≤ ${budgetNs[client]} ns (in-process, stub transport)`,
      scenario: 'cost per request',
      subject: ours.definition.name,
      met: own.ns <= budgetNs[client],
      measured: `${formatNs(own.ns)} from ${basis}${own.instructions === undefined ? '' : ` (${formatCount(own.instructions)} instructions)`}`,
    })
    const peers = rows.filter(
      (row) => row.definition.role === 'peer' && row.definition.client === client,
    )
    if (peers.length === 0) continue
    // Compared on instructions where every row of the client has them, on CPU time otherwise.
    const byInstructions = [ours, ...peers].every(
      (row) => added.get(row.definition.id)?.instructions !== undefined,
    )
    const costOf = (row: Row) => {
      const cost = added.get(row.definition.id) as { ns: number; instructions: number | undefined }
      return byInstructions ? (cost.instructions as number) : cost.ns
    }
    const cheapestPeer = peers.reduce((best, row) => (costOf(row) < costOf(best) ? row : best))
    targets.push({
      target: 'lowest added cost per request of the contenders on its client',
      scenario: 'cost per request',
      subject: ours.definition.name,
      met: costOf(ours) <= costOf(cheapestPeer),
      measured: `${byInstructions ? `${formatCount(costOf(ours))} instructions` : formatNs(costOf(ours))}; cheapest peer ${cheapestPeer.definition.name}: ${byInstructions ? `${formatCount(costOf(cheapestPeer))} instructions` : formatNs(costOf(cheapestPeer))}`,
    })
  }

  const coreRows = rows
    .filter((row) => row.definition.client === undefined)
    .map((row) => [
      row.definition.name,
      formatCount(row.instructions?.perOperation),
      formatNs(median(row.cpuNs)),
      `${formatNs(Math.min(...row.cpuNs))}–${formatNs(Math.max(...row.cpuNs))}`,
    ])

  const countErrors = rows
    .filter((row) => row.countError !== undefined)
    .map((row) => `- ${row.definition.name}: no instruction count (${row.countError}).`)
  const requestsPerRow = (client: keyof typeof batchByClient) =>
    (batchOf({ client } as WorkloadDefinition, context.quick) * runs).toLocaleString('en')
  const countNote = counting
    ? `Instructions: callgrind (valgrind) counts what one more request executes, from blocks of ${instructionOptions.n.toLocaleString('en')}, ${instructionOptions.n.toLocaleString('en')} and ${(2 * instructionOptions.n).toLocaleString('en')} requests after ${instructionOptions.warmup.toLocaleString('en')} unrecorded ones, a full GC before each block, under \`node ${['--single-threaded', '--random-seed=1', '--hash-seed=1'].join(' ')}\` so that V8's compiler and GC threads run at the same points every time: (block of 2n − second block of n) ÷ n. Noise cannot swing it; it repeats to a few instructions. Fetch rows and core only: axios and ky requests cost ten and thirty times more, and their count per request still falls from block to block after thousands of requests under callgrind, so they are judged on CPU time. *Added, from instructions* turns added instructions into nanoseconds at the raw client's CPU time per instruction.`
    : context.quick
      ? 'No instruction counts in a `--quick` run (callgrind takes minutes); the targets are judged on CPU time.'
      : 'No instruction counts: valgrind is not installed on this machine (`apt-get install valgrind`); the targets are judged on CPU time.'
  return {
    tables: [
      {
        title: 'Cost per request: in-process, against a stub transport',
        description: [
          "Each contender's own work per request, without sockets: `fetch` (which ky, OAuth2Fetch and the fetch contenders call) and axios' default adapter are replaced by stubs that answer at once (204 for fetch, a small JSON body for ky, which parses it; a 200 for axios), and each contender is created by the same code as in the loopback scenarios, with a token valid for an hour. Each row runs in a worker process of its own; *added* is the row minus its raw client.",
          `CPU time: user + system time of the worker per request, ${runs} runs in which the workers take turns, one batch each (${requestsPerRow('fetch')} fetch requests, ${requestsPerRow('axios')} axios and ${requestsPerRow('ky')} ky requests per row in all); median and range of the runs, and the median of each run's difference to the raw client. On this shared 2-core machine an axios or ky request (tens of µs) swings by more than the few hundred ns a contender adds, so their differences carry that noise.`,
          countNote,
          'Targets: tokenflight adds at most 500 ns per fetch request and 1 µs per axios or ky request, judged on the instruction-based figure where there is one, and adds the least of the contenders on its client.',
        ],
        columns: [
          'contender',
          'client',
          'instructions per request',
          'added instructions',
          'added, from instructions',
          'CPU time per request (median)',
          'range',
          'added, CPU time',
        ],
        rows: requestRows,
        notes: countErrors,
      },
      ...(coreRows.length === 0
        ? []
        : [
            {
              title: 'Cost per call of core alone',
              description: [
                'The same measurement for core without a client: the awaited token on a fresh token (what each adapter calls per request), the pool lookup before it, and one bare `await` of a resolved promise for reference.',
              ],
              columns: [
                'operation',
                'instructions per call',
                'CPU time per call (median)',
                'range',
              ],
              rows: coreRows,
            },
          ]),
    ],
    targets,
  }
}
