import { OAuth2Client, OAuth2Fetch } from '@badgateway/oauth2-client'
import { attachTokenRefresh } from '@tokenflight/axios'
import { createTokenRefresher, type TokenRefresher } from '@tokenflight/core'
import { withTokenRefresh } from '@tokenflight/fetch'
import { tokenRefreshHooks } from '@tokenflight/ky'
import axios, { type AxiosAdapter } from 'axios'
import ky from 'ky'
import type { ScenarioReport, TargetResult } from '../report/table.js'
import { median } from '../stats.js'
import type { ScenarioContext } from './scenario-context.js'

const bytesTarget = 1024
const expiredToken = 'expired-access-token'
const freshToken = 'fresh-access-token'
// Nothing listens there: the transports are stubs.
const stubOrigin = 'http://127.0.0.1:9'

/** A refresh that the scenario finishes when it has counted the waiters. */
interface HeldRefresh {
  finish(): void
  promise: Promise<void>
}

function holdRefresh(): HeldRefresh {
  let finish = () => {}
  const promise = new Promise<void>((resolve) => {
    finish = resolve
  })
  return { finish, promise }
}

function heldRefresher(held: HeldRefresh): TokenRefresher {
  return createTokenRefresher({
    initialTokens: { accessToken: expiredToken, refreshToken: 'rt', expiresAt: Date.now() - 1_000 },
    refresh: async () => {
      await held.promise
      return { accessToken: freshToken, refreshToken: 'rt2', expiresAt: Date.now() + 3_600_000 }
    },
  })
}

const okResponse = () =>
  new Response('{"ok":true}', { status: 200, headers: { 'content-type': 'application/json' } })

const okAdapter: AxiosAdapter = async (config) => ({
  data: { ok: true },
  status: 200,
  statusText: 'OK',
  headers: {},
  config,
})

interface WaiterKind {
  name: string
  /** Whether the target applies: the row measures tokenflight's own cost. */
  isTarget: boolean
  /** Sets up a refresh in flight and returns how to add one waiter. */
  prepare(held: HeldRefresh): { wait: () => Promise<unknown> }
  /** Subtracted from this row: the same client's waiting request without tokenflight. */
  baseline?: string
}

const kinds: WaiterKind[] = [
  {
    name: 'tokenflight core: `getAccessToken()` on an expired token',
    isTarget: true,
    prepare(held) {
      const refresher = heldRefresher(held)
      return { wait: () => refresher.getAccessToken() }
    },
  },
  {
    name: 'tokenflight core: `refreshAfterUnauthorized(token)` after a 401',
    isTarget: true,
    prepare(held) {
      const refresher = heldRefresher(held)
      return { wait: () => refresher.refreshAfterUnauthorized(expiredToken) }
    },
  },
  {
    name: "a caller's own AbortController, held without tokenflight",
    isTarget: false,
    prepare() {
      return {
        wait: () => {
          const controller = new AbortController()
          // Reading the signal, as the row below does, in case a runtime creates it lazily.
          return Promise.resolve(controller.signal)
        },
      }
    },
  },
  {
    name: 'tokenflight core: `getAccessToken({ signal })`, each caller with its own AbortController',
    isTarget: true,
    baseline: "a caller's own AbortController, held without tokenflight",
    prepare(held) {
      const refresher = heldRefresher(held)
      return { wait: () => refresher.getAccessToken({ signal: new AbortController().signal }) }
    },
  },
  {
    name: 'tokenflight + fetch: a request waiting in `withTokenRefresh`',
    isTarget: true,
    prepare(held) {
      const authorizedFetch = withTokenRefresh(async () => okResponse(), heldRefresher(held), {
        origins: [stubOrigin],
      })
      return { wait: () => authorizedFetch(`${stubOrigin}/api/items`) }
    },
  },
  {
    name: 'floor: an async function awaiting a shared pending promise',
    isTarget: false,
    prepare(held) {
      return {
        wait: async () => {
          await held.promise
        },
      }
    },
  },

  {
    name: 'OAuth2Fetch: `getAccessToken()` on an expired token (peer reference)',
    isTarget: false,
    prepare(held) {
      const client = new OAuth2Client({
        clientId: 'bench-client',
        tokenEndpoint: 'http://127.0.0.1:9/token',
        fetch: async () => {
          await held.promise
          return new Response(
            JSON.stringify({ access_token: freshToken, refresh_token: 'rt2', expires_in: 3600 }),
            { status: 200, headers: { 'content-type': 'application/json' } },
          )
        },
      })
      const wrapper = new OAuth2Fetch({
        client,
        getNewToken: () => null,
        getStoredToken: () => ({
          accessToken: expiredToken,
          refreshToken: 'rt',
          expiresAt: Date.now() - 1_000,
        }),
      })
      return { wait: () => wrapper.getAccessToken() }
    },
  },
  {
    name: 'axios: a request waiting in a bare async interceptor (no tokenflight)',
    isTarget: false,
    prepare(held) {
      const instance = axios.create({ adapter: okAdapter })
      instance.interceptors.request.use(async (config) => {
        await held.promise
        return config
      })
      return { wait: () => instance.get(`${stubOrigin}/api/items`) }
    },
  },
  {
    name: 'tokenflight + axios: a request waiting in the interceptor',
    isTarget: true,
    baseline: 'axios: a request waiting in a bare async interceptor (no tokenflight)',
    prepare(held) {
      const instance = axios.create({ adapter: okAdapter })
      attachTokenRefresh(instance, heldRefresher(held), { origins: [stubOrigin] })
      return { wait: () => instance.get(`${stubOrigin}/api/items`) }
    },
  },
  {
    name: 'ky: a request waiting in a bare async beforeRequest hook (no tokenflight)',
    isTarget: false,
    prepare(held) {
      const api = ky.create({
        fetch: async () => okResponse(),
        timeout: false,
        hooks: {
          beforeRequest: [
            async () => {
              await held.promise
            },
          ],
        },
      })
      return { wait: () => api.get(`${stubOrigin}/api/items`).json() }
    },
  },
  {
    name: 'tokenflight + ky: a request waiting in the hooks',
    isTarget: true,
    baseline: 'ky: a request waiting in a bare async beforeRequest hook (no tokenflight)',
    prepare(held) {
      const api = ky.create({
        fetch: async () => okResponse(),
        timeout: false,
        hooks: tokenRefreshHooks(heldRefresher(held), { origins: [stubOrigin] }),
      })
      return { wait: () => api.get(`${stubOrigin}/api/items`).json() }
    },
  },
]

// undici releases response streams through a FinalizationRegistry, so garbage from one row can outlive a GC;
// a few GCs with event-loop turns between them clear it before the next row.
async function collectGarbage(): Promise<void> {
  for (let pass = 0; pass < 3; pass++) {
    globalThis.gc?.()
    await new Promise((resolve) => setImmediate(resolve))
  }
}

function heapUsed(): number {
  globalThis.gc?.()
  globalThis.gc?.()
  return process.memoryUsage().heapUsed
}

async function measureOnce(kind: WaiterKind, waiters: number): Promise<number> {
  const held = holdRefresh()
  const { wait } = kind.prepare(held)
  const slots: Array<Promise<unknown> | undefined> = new Array(waiters).fill(undefined)
  // The first waiter starts the refresh; its one-off cost is not a per-waiter cost.
  const first = wait()
  await new Promise((resolve) => setImmediate(resolve))
  const before = heapUsed()
  for (let index = 0; index < waiters; index++) slots[index] = wait()
  // Let every waiter reach the point where it waits for the refresh.
  await new Promise((resolve) => setImmediate(resolve))
  const after = heapUsed()
  held.finish()
  await Promise.all([first, ...slots])
  return (after - before) / waiters
}

/** Heap bytes per caller waiting on one refresh, with 10,000 waiters. */
export async function runWaiterMemoryScenario(context: ScenarioContext): Promise<ScenarioReport> {
  if (typeof globalThis.gc !== 'function') {
    throw new Error('The memory scenario needs node --expose-gc (the bench script passes it)')
  }
  // A smoke run keeps the shape with fewer waiters: 10,000 ky requests alone take seconds to build and settle.
  const waiters = context.quick ? 1_000 : 10_000
  const runs = context.quick ? 1 : 3
  const results = new Map<string, { median: number; min: number; max: number }>()
  const targets: TargetResult[] = []
  const rows: string[][] = []
  for (const kind of kinds) {
    context.progress(`memory per waiter: ${kind.name}`)
    await measureOnce(kind, context.quick ? 200 : 1_000)
    const samples: number[] = []
    for (let run = 0; run < runs; run++) {
      await collectGarbage()
      samples.push(await measureOnce(kind, waiters))
    }
    const result = { median: median(samples), min: Math.min(...samples), max: Math.max(...samples) }
    results.set(kind.name, result)
    const baseline = kind.baseline === undefined ? undefined : results.get(kind.baseline)
    const added = baseline === undefined ? result.median : result.median - baseline.median
    rows.push([
      kind.name,
      `${result.median.toFixed(0)} B`,
      `${result.min.toFixed(0)}–${result.max.toFixed(0)} B`,
      baseline === undefined ? '—' : `${added.toFixed(0)} B`,
    ])
    if (kind.isTarget) {
      targets.push({
        target: 'under 1 KB of memory per waiting request',
        scenario: 'memory per waiting request',
        subject: kind.name,
        met: added < bytesTarget,
        measured:
          baseline === undefined
            ? `${result.median.toFixed(0)} B`
            : `${added.toFixed(0)} B added (${result.median.toFixed(0)} − ${baseline.median.toFixed(0)} B)`,
      })
    }
  }
  return {
    tables: [
      {
        title: `Memory per waiting request: ${waiters.toLocaleString('en')} waiters on one refresh`,
        description: [
          `A refresh is started and held open; then ${waiters.toLocaleString('en')} more callers start waiting for it. Heap used after a full GC (twice, \`--expose-gc\`) with all of them waiting, minus heap used before they started, divided by ${waiters.toLocaleString('en')}; median and range of ${runs} run${runs === 1 ? '' : 's'}. The refresh is then released and every waiter must resolve.`,
          "Adapter rows run the real client with a stub transport (axios `adapter`, ky `fetch`), so they include the client's own request objects; the row above each is the same client waiting in a bare hook without tokenflight, and *added by tokenflight* is the difference. Likewise the `signal` row includes the caller's AbortController, measured alone in the row above it. The target applies to tokenflight's own cost: the other core rows, the fetch wrapper row, and the differences. ky's hook always passes the request's signal to `getAccessToken`.",
        ],
        columns: ['waiter', 'heap per waiter (median)', 'range', 'added by tokenflight'],
        rows,
      },
    ],
    targets,
  }
}
