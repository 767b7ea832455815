import {
  createRefresherPool,
  createTokenRefresher,
  type RefresherPool,
  type TokenRefresher,
  type TokenSet,
} from '@tokenflight/core'
import type { ScenarioReport, TargetResult } from '../report/table.js'
import { median } from '../stats.js'
import type { ScenarioContext } from './scenario-context.js'

const opsTarget = 2_000_000
const sessionCount = 10_000
const hourMs = 3_600_000

type ObjectKey = { user: string; tenant: string; scope: string }

const freshTokens = (key: unknown): TokenSet => ({
  accessToken: `token-of-${JSON.stringify(key)}`,
  expiresAt: Date.now() + hourMs,
})

const mustNotRefresh = async (): Promise<TokenSet> => {
  throw new Error('The hot path must not refresh')
}

function stringKeys(): string[] {
  return Array.from({ length: sessionCount }, (_, index) => `user-${index}`)
}

interface Variant {
  name: string
  isTarget: boolean
  /** Performs `iterations` operations one after another, cycling through the sessions. */
  loop(iterations: number): Promise<void>
}

function variants(): Variant[] {
  const keys = stringKeys()
  const objectKeyNames = Array.from({ length: sessionCount }, (_, index) => `user-${index}`)
  const stringPool = createRefresherPool<string>({
    refresh: mustNotRefresh,
    initialTokens: freshTokens,
  })
  const objectPool = createRefresherPool<ObjectKey>({
    refresh: mustNotRefresh,
    initialTokens: freshTokens,
  })
  const map = new Map<string, TokenRefresher>(
    keys.map((key) => [
      key,
      createTokenRefresher({ refresh: mustNotRefresh, initialTokens: freshTokens(key) }),
    ]),
  )
  return [
    {
      name: 'pool, string keys: `await sessions.get(key).getAccessToken()`',
      isTarget: true,
      loop: async (iterations) => {
        for (let index = 0; index < iterations; index++) {
          await stringPool.get(keys[index % sessionCount] as string).getAccessToken()
        }
      },
    },
    {
      name: 'pool, object keys `{ user, tenant, scope }` built per call',
      isTarget: false,
      loop: async (iterations) => {
        for (let index = 0; index < iterations; index++) {
          const slot = index % sessionCount
          // A new object for each call, as a request handler builds it: nothing is cached by identity.
          await objectPool
            .get({
              user: objectKeyNames[slot] as string,
              tenant: 'acme',
              scope: 'files:read files:write',
            })
            .getAccessToken()
        }
      },
    },
    {
      name: 'reference: a `Map` of 10,000 refreshers, `await map.get(key).getAccessToken()`',
      isTarget: false,
      loop: async (iterations) => {
        for (let index = 0; index < iterations; index++) {
          await (map.get(keys[index % sessionCount] as string) as TokenRefresher).getAccessToken()
        }
      },
    },
  ]
}

async function measureThroughput(context: ScenarioContext) {
  const iterations = context.quick ? 100_000 : 2_000_000
  const runs = context.quick ? 2 : 7
  const all = variants()
  for (const variant of all) {
    context.progress(`pool hot path, warm-up: ${variant.name}`)
    // Every session is created and used once, and the code is optimized.
    await variant.loop(Math.max(sessionCount, Math.min(iterations, 200_000)))
  }
  // The rows take turns within each run, so that a change in the machine's load meets all of them alike.
  const samples = all.map(() => [] as number[])
  for (let run = 0; run < runs; run++) {
    context.progress(`pool hot path: run ${run + 1} of ${runs}`)
    for (const [index, variant] of all.entries()) {
      globalThis.gc?.()
      const startedAt = process.hrtime.bigint()
      await variant.loop(iterations)
      samples[index]?.push(iterations / (Number(process.hrtime.bigint() - startedAt) / 1e9))
    }
  }
  const rows: string[][] = []
  const targets: TargetResult[] = []
  const millions = (value: number) => `${(value / 1e6).toFixed(2)} M`
  for (const [index, variant] of all.entries()) {
    const opsPerSecond = samples[index] ?? []
    const medianOps = median(opsPerSecond)
    rows.push([
      variant.name,
      `${millions(medianOps)} ops/s`,
      `${millions(Math.min(...opsPerSecond))}–${millions(Math.max(...opsPerSecond))}`,
      `${(1e9 / medianOps).toFixed(0)} ns`,
    ])
    if (variant.isTarget) {
      targets.push({
        target: `get(key) + getAccessToken() on a fresh token with ${sessionCount.toLocaleString('en')} sessions ≥ ${opsTarget / 1e6} M ops/s`,
        scenario: 'refresher pool',
        subject: 'core pool',
        met: medianOps >= opsTarget,
        measured: `${millions(medianOps)} ops/s (median of ${runs} runs)`,
      })
    }
  }
  return { rows, targets, iterations, runs }
}

/** Releases every refresh a row holds open, so that its callers settle. */
interface HeldRefreshes {
  refresh: () => Promise<TokenSet>
  release(): void
}

function holdRefreshes(): HeldRefreshes {
  let release = () => {}
  const released = new Promise<void>((resolve) => {
    release = resolve
  })
  return {
    refresh: async () => {
      await released
      return { accessToken: 'fresh', expiresAt: Date.now() + hourMs }
    },
    release,
  }
}

interface MemoryRow {
  name: string
  /** The row measured without the pool, subtracted from this one. */
  baseline?: string
  /** Creates `count` sessions in the state the row measures; returns what keeps them reachable and how to end. */
  prepare(count: number): { keep: unknown; settle: () => Promise<unknown> }
}

const memoryRows: MemoryRow[] = [
  {
    name: 'reference: a bare refresher with a fresh token in a `Map`',
    prepare(count) {
      const map = new Map<string, TokenRefresher>()
      for (let index = 0; index < count; index++) {
        const key = `user-${index}`
        map.set(
          key,
          createTokenRefresher({ refresh: mustNotRefresh, initialTokens: freshTokens(key) }),
        )
      }
      return { keep: map, settle: async () => {} }
    },
  },
  {
    name: 'pool: idle session (a fresh token, nothing running)',
    baseline: 'reference: a bare refresher with a fresh token in a `Map`',
    prepare(count) {
      const pool = createRefresherPool<string>({
        refresh: mustNotRefresh,
        initialTokens: freshTokens,
        maxSessions: Number.POSITIVE_INFINITY,
      })
      const calls = Array.from({ length: count }, (_, index) =>
        pool.get(`user-${index}`).getAccessToken(),
      )
      return { keep: pool, settle: () => Promise.all(calls) }
    },
  },
  {
    name: 'reference: a bare refresher, its refresh in flight, one caller waiting',
    prepare(count) {
      const held = holdRefreshes()
      const map = new Map<string, TokenRefresher>()
      const calls: Promise<string>[] = []
      for (let index = 0; index < count; index++) {
        const refresher = createTokenRefresher({ refresh: held.refresh })
        map.set(`user-${index}`, refresher)
        calls.push(refresher.getAccessToken())
      }
      return {
        keep: map,
        settle: () => {
          held.release()
          return Promise.all(calls)
        },
      }
    },
  },
  {
    name: 'pool: busy session (its refresh in flight, one caller waiting)',
    baseline: 'reference: a bare refresher, its refresh in flight, one caller waiting',
    prepare(count) {
      const held = holdRefreshes()
      const pool: RefresherPool<string> = createRefresherPool<string>({
        refresh: held.refresh,
        maxSessions: Number.POSITIVE_INFINITY,
      })
      const calls = Array.from({ length: count }, (_, index) =>
        pool.get(`user-${index}`).getAccessToken(),
      )
      return {
        keep: pool,
        settle: () => {
          held.release()
          return Promise.all(calls)
        },
      }
    },
  },
]

function heapUsed(): number {
  globalThis.gc?.()
  globalThis.gc?.()
  return process.memoryUsage().heapUsed
}

async function measureMemoryOnce(row: MemoryRow, count: number): Promise<number> {
  await new Promise((resolve) => setImmediate(resolve))
  const before = heapUsed()
  const { keep, settle } = row.prepare(count)
  // Let every call reach the point where it waits, or settles, and the pool release what settled.
  for (let turn = 0; turn < 3; turn++) await new Promise((resolve) => setImmediate(resolve))
  const after = heapUsed()
  await settle()
  // Read after the measurement, so that what it measured stays reachable until then.
  if (keep === undefined) throw new Error('Nothing was kept')
  return (after - before) / count
}

async function measureMemory(context: ScenarioContext) {
  const runs = context.quick ? 1 : 5
  // A smoke run keeps the rows with fewer sessions: 10,000 busy sessions take seconds to build and settle.
  const sessions = context.quick ? 2_000 : sessionCount
  const rows: string[][] = []
  const medians = new Map<string, number>()
  for (const row of memoryRows) {
    context.progress(`pool memory: ${row.name}`)
    await measureMemoryOnce(row, context.quick ? 200 : 1_000)
    const samples: number[] = []
    for (let run = 0; run < runs; run++) samples.push(await measureMemoryOnce(row, sessions))
    medians.set(row.name, median(samples))
    const baseline = row.baseline === undefined ? undefined : medians.get(row.baseline)
    rows.push([
      row.name,
      `${median(samples).toFixed(0)} B`,
      `${Math.min(...samples).toFixed(0)}–${Math.max(...samples).toFixed(0)} B`,
      baseline === undefined ? '—' : `${(median(samples) - baseline).toFixed(0)} B`,
    ])
  }
  return { rows, runs, sessions }
}

/** The refresher pool: `get(key)` + `getAccessToken()` throughput with 10,000 sessions, and memory per session. */
export async function runRefresherPoolScenario(context: ScenarioContext): Promise<ScenarioReport> {
  if (typeof globalThis.gc !== 'function') {
    throw new Error(
      'The refresher pool scenario needs node --expose-gc (the bench script passes it)',
    )
  }
  const throughput = await measureThroughput(context)
  const memory = await measureMemory(context)
  return {
    tables: [
      {
        title: `Refresher pool hot path: \`get(key)\` + \`getAccessToken()\` with ${sessionCount.toLocaleString('en')} sessions`,
        description: [
          `One call after another, cycling through ${sessionCount.toLocaleString('en')} sessions whose tokens are valid for an hour, ${throughput.iterations.toLocaleString('en')} operations per run, ${throughput.runs} runs after a warm-up in which the rows take turns, a GC before each; median and range of operations per second. The target is judged on string keys. Object keys are built anew for each call, as a request handler does, and canonicalized by the pool (fields sorted, scopes as a set). The reference row is what an application's own \`Map\` of refreshers costs on this machine: no bound, no eviction, no key checks.`,
        ],
        columns: ['operation', 'ops/s (median)', 'range', 'per operation'],
        rows: throughput.rows,
      },
      {
        title: `Refresher pool memory: ${memory.sessions.toLocaleString('en')} sessions`,
        description: [
          `Heap used after a full GC (twice, \`--expose-gc\`) with ${memory.sessions.toLocaleString('en')} sessions in the state named, minus before, per session; median and range of ${memory.runs} run${memory.runs === 1 ? '' : 's'}. The pool rows include the session's refresher and its key; the busy rows include the caller's pending promise and the held refresh. Each reference row is the same with bare refreshers kept in a \`Map\` by hand, and *added by the pool* is the difference.`,
        ],
        columns: ['session', 'heap per session (median)', 'range', 'added by the pool'],
        rows: memory.rows,
      },
    ],
    targets: throughput.targets,
  }
}
