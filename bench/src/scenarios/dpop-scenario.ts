import { createDPoPHandle, createTokenRefresher, type DPoPHandle } from '@tokenflight/core'
import { withTokenRefresh } from '@tokenflight/fetch'
import type { ScenarioReport } from '../report/table.js'
import { median } from '../stats.js'
import type { ScenarioContext } from './scenario-context.js'

const url = 'https://api.example.test/things/1'

interface Variant {
  name: string
  /** Requests per measured round: fewer for the slow ones, so that each round takes a similar time. */
  perRound: number
  send: () => Promise<unknown>
}

async function variants(): Promise<Variant[]> {
  const expiresAt = Date.now() + 3_600_000
  const refresh = async () => {
    throw new Error('The bench must not refresh')
  }
  // The stub transport answers at once, with the nonce a DPoP server sends on every answer.
  const answer = new Response(null, { status: 200, headers: { 'DPoP-Nonce': 'server-nonce' } })
  const transport = (() => Promise.resolve(answer)) as typeof fetch

  const bearer = withTokenRefresh(
    transport,
    createTokenRefresher({ refresh, initialTokens: { accessToken: 'bearer-token', expiresAt } }),
  )
  const dpop: DPoPHandle = createDPoPHandle(
    await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, [
      'sign',
      'verify',
    ]),
  )
  const withProofs = withTokenRefresh(
    transport,
    createTokenRefresher({
      dpop,
      refresh,
      initialTokens: { accessToken: 'dpop-token', tokenType: 'DPoP', expiresAt },
    }),
  )
  return [
    { name: 'Bearer token: `await apiFetch(url)`', perRound: 20_000, send: () => bearer(url) },
    {
      name: 'DPoP token, ES256: `await apiFetch(url)`, a proof signed per request',
      perRound: 1_000,
      send: () => withProofs(url),
    },
    {
      name: 'the proof alone: `await dpop.proof({ method, url, accessToken })`',
      perRound: 1_000,
      send: () => dpop.proof({ method: 'GET', url, accessToken: 'dpop-token' }),
    },
  ]
}

/**
 * What a DPoP proof costs per request next to a bearer token: fresh tokens, the fetch wrapper in front of a stub
 * transport, in process; CPU time per request, median of rounds.
 */
export async function runDPoPScenario(context: ScenarioContext): Promise<ScenarioReport> {
  const rounds = context.quick ? 5 : 21
  const rows: string[][] = []
  let bearerNs: number | undefined
  for (const variant of await variants()) {
    context.progress(`dpop: ${variant.name}`)
    const round = async (count: number) => {
      const started = process.cpuUsage()
      for (let index = 0; index < count; index++) await variant.send()
      const used = process.cpuUsage(started)
      return ((used.user + used.system) * 1000) / count
    }
    await round(variant.perRound)
    const samples: number[] = []
    for (let index = 0; index < rounds; index++) {
      globalThis.gc?.()
      samples.push(await round(variant.perRound))
    }
    const perRequestNs = median(samples)
    bearerNs ??= perRequestNs
    rows.push([
      variant.name,
      formatNs(perRequestNs),
      `${formatNs(Math.min(...samples))}–${formatNs(Math.max(...samples))}`,
      `${(perRequestNs / bearerNs).toFixed(1)}×`,
    ])
  }
  return {
    tables: [
      {
        title: 'DPoP: the cost of a proof per request',
        description: [
          `Requests through \`withTokenRefresh(fetch)\` on a fresh token, against a stub transport that answers at once (with a \`DPoP-Nonce\`), one after another in one process; CPU time (user + system) per request, median and range of ${rounds} rounds after a warm-up, a GC before each round. A DPoP request signs an ES256 proof (WebCrypto, through panva's \`dpop\`) for its method, URL and token; a bearer request reuses the credentials of its token set.`,
        ],
        columns: ['request', 'CPU per request (median)', 'range', 'vs bearer'],
        rows,
      },
    ],
    targets: [],
  }
}

function formatNs(ns: number): string {
  return ns >= 10_000 ? `${(ns / 1000).toFixed(1)} µs` : `${ns.toFixed(0)} ns`
}
