import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createClient } from '@redis/client'
import type { TokenStore } from '@tokenflight/core'
import { fileTokenStore } from '@tokenflight/oauth2/node'
import {
  type RunSummary,
  startSessionWorkers,
  summarizeRun,
  type WorkerStore,
} from '@tokenflight/process-harness'
import { redisTokenStore } from '@tokenflight/redis'
import { type RedisServer, startRedisServer } from '@tokenflight/redis-server'
import { serveOAuthSimulator } from '@tokenflight/testing/node'
import { formatMs, formatRatio, type ScenarioReport, type TargetResult } from '../report/table.js'
import type { ScenarioContext } from './scenario-context.js'

const processes = 6
const callers = 3
const pauseMs = 50
// The lifetime the refreshers are told; the provider accepts each token ten times as long, so that the latency of a
// loaded 2-core machine cannot fail a call whose token the client holds as valid (see the harness tests).
const tokenLifetimeMs = 400
const runMs = 6_000

interface Row {
  name: string
  /** tokenflight's rows carry the targets; the status quo is the reference. */
  isTarget: boolean
  store: (directory: string, redis: RedisServer | undefined, run: number) => WorkerStore | undefined
}

const rows: Row[] = [
  {
    name: 'tokenflight + fileTokenStore (lock, subscribe)',
    isTarget: true,
    store: (directory) => ({ kind: 'file', path: join(directory, 'tokens.json') }),
  },
  {
    name: 'tokenflight + redisTokenStore (lock, subscribe)',
    isTarget: true,
    store: (_directory, redis, run) =>
      redis && { kind: 'redis', url: redis.url, key: `bench:${run}:tokens` },
  },
  {
    name: 'status quo: a refresher per process on the same file, no lock',
    isTarget: false,
    store: (directory) => ({ kind: 'file-without-lock', path: join(directory, 'tokens.json') }),
  },
]

interface Measured {
  row: Row
  summary: RunSummary
  refreshes: number
  expiries: number
  invalidGrants: number
  reused: number
  processesSignedOut: number
}

/**
 * Six processes on one session, each with its own refresher and three concurrent callers, against a provider with
 * rotating refresh tokens and reuse detection (a used refresh token revokes the session).
 */
export async function runProcessesScenario(context: ScenarioContext): Promise<ScenarioReport> {
  let redis: RedisServer | undefined
  const roundTrips: { store: string; samplesMs: number[] }[] = []
  try {
    redis = await startRedisServer()
  } catch (error) {
    context.progress(`no Redis row: ${(error as Error).message}`)
  }
  const measured: Measured[] = []
  try {
    let run = 0
    for (const row of rows) {
      const directory = await mkdtemp(join(tmpdir(), 'tokenflight-bench-processes-'))
      try {
        const store = row.store(directory, redis, ++run)
        if (store === undefined) continue
        context.progress(row.name)
        measured.push(await measure(row, store))
        if (row.isTarget) {
          roundTrips.push({
            store: row.name.replace(/ \(.*\)$/, ''),
            samplesMs: await measureRoundTrip(store, context.quick ? 50 : 500),
          })
        }
      } finally {
        await rm(directory, { recursive: true, force: true })
      }
    }
  } finally {
    await redis?.close()
  }
  return report(measured, roundTrips)
}

// What the lock costs the process that refreshes when nobody else wants it: acquire, an empty section, release.
async function measureRoundTrip(store: WorkerStore, iterations: number): Promise<number[]> {
  const samplesMs: number[] = []
  await withStore(store, async (opened) => {
    const lock = opened.lock?.bind(opened)
    if (lock === undefined) return
    const signal = new AbortController().signal
    for (let index = 0; index < iterations; index++) {
      const startedAt = performance.now()
      await lock(async () => {}, { signal })
      samplesMs.push(performance.now() - startedAt)
    }
  })
  return samplesMs
}

async function measure(row: Row, store: WorkerStore): Promise<Measured> {
  const provider = await serveOAuthSimulator({
    reuseDetection: true,
    accessTokenLifetimeMs: 10 * tokenLifetimeMs,
  })
  try {
    const first = { ...provider.simulator.signIn(), expiresAt: Date.now() + tokenLifetimeMs }
    await withStore(store, async (opened) => {
      await opened.set(first)
    })
    const workers = await startSessionWorkers(processes, {
      store,
      tokenUrl: provider.simulator.tokenUrl,
      apiUrl: provider.simulator.apiUrl,
      grant: 'refresh-token',
      callers,
      pauseMs,
      tokenLifetimeMs,
    })
    try {
      workers.start(runMs)
      const reports = await workers.reports()
      const summary = summarizeRun(reports, tokenLifetimeMs)
      const { stats } = provider.simulator
      const answered = reports.reduce((total, report) => total + report.tokenResponses.length, 0)
      return {
        row,
        summary,
        refreshes: stats.refreshCalls,
        expiries: answered,
        invalidGrants: summary.tokenRequests.length - answered,
        reused: stats.reusedRefreshTokens,
        processesSignedOut: reports.filter((report) => report.sessionExpired > 0).length,
      }
    } finally {
      workers.kill()
    }
  } finally {
    await provider.close()
  }
}

async function withStore(
  store: WorkerStore,
  use: (opened: TokenStore) => Promise<void>,
): Promise<void> {
  if (store.kind !== 'redis') return use(fileTokenStore(store.path))
  const client = await createClient({ url: store.url }).connect()
  try {
    await use(redisTokenStore({ client, key: store.key }))
  } finally {
    client.destroy()
  }
}

function percentile(values: readonly number[], fraction: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] as number
}

function report(
  measured: Measured[],
  roundTrips: { store: string; samplesMs: number[] }[],
): ScenarioReport {
  const targets: TargetResult[] = []
  for (const { row, refreshes, expiries, invalidGrants, summary } of measured) {
    if (!row.isTarget) continue
    const subject = row.name.replace(/ \(.*\)$/, '')
    targets.push(
      {
        target: '1 refresh per expiry',
        scenario: `${processes} processes, one session`,
        subject,
        met:
          refreshes === expiries &&
          invalidGrants === 0 &&
          summary.needlessTokenRequests.length === 0,
        measured: `${refreshes} refreshes for ${expiries} expiries, ${invalidGrants} invalid_grant, ${summary.needlessTokenRequests.length} of a token with half its life left`,
      },
      {
        target: '0 failed requests',
        scenario: `${processes} processes, one session`,
        subject,
        met: summary.failedCalls === 0,
        measured: `${summary.failedCalls} of ${summary.calls}`,
      },
    )
  }
  return {
    targets,
    tables: [
      {
        title: `Processes: ${processes} processes on one session`,
        description: [
          `${processes} Node processes (real child processes), each with its own refresher on the same store and ${callers} callers calling the API through @tokenflight/fetch every ${pauseMs} ms, for ${runMs / 1000} s. Tokens live ${tokenLifetimeMs} ms for the refreshers (the provider accepts them ten times as long, so that latency alone fails nothing). The provider rotates refresh tokens and revokes the whole session when a used one comes back (RFC 9700 reuse detection), as \`serveOAuthSimulator({ reuseDetection: true })\` does.`,
          '*Expiries*: token lifetimes the session went through, one per refresh that succeeded (the target also checks that none replaced a token with more than half its life left). *invalid_grant*: token requests refused. *Lock wait*: from `store.lock()` to the start of the critical section, for every lock taken (one per process per expiry: one refreshes, the others wait for it and take its tokens); its p50 and p99 are the latency the lock adds to a refresh.',
        ],
        columns: [
          'store',
          'refreshes',
          'expiries',
          'refreshes per expiry',
          'invalid_grant',
          'reused refresh tokens',
          'processes signed out',
          'failed calls',
          'lock wait p50',
          'lock wait p99',
        ],
        rows: measured.map(
          ({ row, refreshes, expiries, invalidGrants, reused, processesSignedOut, summary }) => [
            row.name,
            String(refreshes),
            String(expiries),
            formatRatio(expiries === 0 ? Number.POSITIVE_INFINITY : refreshes / expiries),
            String(invalidGrants),
            String(reused),
            `${processesSignedOut} of ${processes}`,
            `${summary.failedCalls} of ${summary.calls}`,
            summary.lockWaitsMs.length === 0 ? '—' : formatMs(percentile(summary.lockWaitsMs, 0.5)),
            summary.lockWaitsMs.length === 0
              ? '—'
              : formatMs(percentile(summary.lockWaitsMs, 0.99)),
          ],
        ),
        notes: [
          'The status quo is what issue 9 reports: at the first expiry several processes refresh with the same refresh token, the provider sees it reused and revokes the session, and every process is signed out.',
        ],
      },
      {
        title: 'Processes: the lock without contention',
        description: [
          'One process takes the lock, runs an empty critical section and releases it, one round after another: what the lock adds to a refresh when no other process wants it (file: create the lock file, rename it aside and remove it; Redis: `SET NX PX`, then a compare-and-delete script).',
        ],
        columns: ['store', 'rounds', 'p50', 'p99'],
        rows: roundTrips.map(({ store, samplesMs }) => [
          store,
          String(samplesMs.length),
          formatMs(percentile(samplesMs, 0.5)),
          formatMs(percentile(samplesMs, 0.99)),
        ]),
      },
    ],
  }
}
