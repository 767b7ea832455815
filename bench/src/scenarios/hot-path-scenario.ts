import { OAuth2Client, OAuth2Fetch } from '@badgateway/oauth2-client'
import { createTokenRefresher } from '@tokenflight/core'
import type { ScenarioReport, TargetResult } from '../report/table.js'
import { median } from '../stats.js'
import type { ScenarioContext } from './scenario-context.js'

const opsTarget = 5_000_000
const token = 'hot-path-access-token'

interface Variant {
  name: string
  /** Performs `iterations` operations one after another. */
  loop(iterations: number): Promise<void>
  isTarget: boolean
}

function freshRefresher() {
  return createTokenRefresher({
    initialTokens: { accessToken: token, expiresAt: Date.now() + 3_600_000 },
    refresh: async () => {
      throw new Error('The hot path must not refresh')
    },
  })
}

function variants(): Variant[] {
  const refresher = freshRefresher()
  const callsOnly = freshRefresher()
  const wrapper = new OAuth2Fetch({
    client: new OAuth2Client({
      clientId: 'bench-client',
      tokenEndpoint: 'http://127.0.0.1:9/token',
    }),
    getNewToken: () => null,
    getStoredToken: () => ({
      accessToken: token,
      refreshToken: null,
      expiresAt: Date.now() + 3_600_000,
    }),
  })
  return [
    {
      name: 'tokenflight core: `await refresher.getAccessToken()`',
      isTarget: true,
      loop: async (iterations) => {
        for (let index = 0; index < iterations; index++) {
          if ((await refresher.getAccessToken()) !== token) throw new Error('Unexpected token')
        }
      },
    },
    {
      name: 'tokenflight core: `refresher.getAccessToken()` called, not awaited',
      isTarget: false,
      loop: async (iterations) => {
        let last: Promise<string> | undefined
        for (let index = 0; index < iterations; index++) last = callsOnly.getAccessToken()
        if ((await last) !== token) throw new Error('Unexpected token')
      },
    },
    {
      name: 'OAuth2Fetch: `await wrapper.getAccessToken()` (peer reference)',
      isTarget: false,
      loop: async (iterations) => {
        for (let index = 0; index < iterations; index++) {
          if ((await wrapper.getAccessToken()) !== token) throw new Error('Unexpected token')
        }
      },
    },
    {
      name: 'floor: `await Promise.resolve(token)`',
      isTarget: false,
      loop: async (iterations) => {
        for (let index = 0; index < iterations; index++) {
          if ((await Promise.resolve(token)) !== token) throw new Error('Unexpected token')
        }
      },
    },
  ]
}

/** `getAccessToken()` on a fresh token, one call after another, in operations per second. */
export async function runHotPathScenario(context: ScenarioContext): Promise<ScenarioReport> {
  const iterations = context.quick ? 500_000 : 3_000_000
  const runs = context.quick ? 3 : 7
  const rows: string[][] = []
  const targets: TargetResult[] = []
  for (const variant of variants()) {
    context.progress(`hot path: ${variant.name}`)
    await variant.loop(Math.min(iterations, 200_000))
    const opsPerSecond: number[] = []
    for (let run = 0; run < runs; run++) {
      globalThis.gc?.()
      const startedAt = process.hrtime.bigint()
      await variant.loop(iterations)
      const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9
      opsPerSecond.push(iterations / seconds)
    }
    const medianOps = median(opsPerSecond)
    const millions = (value: number) => `${(value / 1e6).toFixed(2)} M`
    rows.push([
      variant.name,
      `${millions(medianOps)} ops/s`,
      `${millions(Math.min(...opsPerSecond))}–${millions(Math.max(...opsPerSecond))}`,
      `${(1e9 / medianOps).toFixed(0)} ns`,
    ])
    if (variant.isTarget) {
      targets.push({
        target: `getAccessToken() on a fresh token ≥ ${opsTarget / 1e6} M ops/s`,
        scenario: 'hot path',
        subject: 'core',
        met: medianOps >= opsTarget,
        measured: `${millions(medianOps)} ops/s (median of ${runs} runs)`,
      })
    }
  }
  return {
    tables: [
      {
        title: 'Hot path: `getAccessToken()` on a fresh token',
        description: [
          `One call after another on a token valid for an hour, ${iterations.toLocaleString('en')} operations per run, ${runs} runs after a warm-up, a GC before each run; median and range of operations per second. The target is judged on the awaited call, which is how an adapter uses it; the floor row is what one \`await\` of a resolved promise costs on this machine.`,
        ],
        columns: ['operation', 'ops/s (median)', 'range', 'per operation'],
        rows,
      },
    ],
    targets,
  }
}
