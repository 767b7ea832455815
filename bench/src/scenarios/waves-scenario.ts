import type { ScenarioReport } from '../report/table.js'
import { sleep } from '../stats.js'
import { forEachExpiryMode, measureContenders } from './measure-contenders.js'
import { RequestLog } from './request-log.js'
import { correctnessTable } from './run-record.js'
import type { ScenarioContext } from './scenario-context.js'

const lifetimeMs = 100
const requestsPerWave = 20
const waveIntervalMs = 50
const tokenLatencyMs = 5
// In flight for at most a fifth of a lifetime: with more, a token issued for a stale 401 can expire during its
// own replay, which with real lifetimes (an hour against a round trip) does not happen, and fails that request in
// every client that replays once.
const apiLatencyMs = { min: 0, max: 20 }

/**
 * 200 requests in waves across 100 ms token lifetimes. Requests spend a random time in flight before the API
 * checks their token, so one sent just before expiry comes back 401 after another request already refreshed:
 * a stale 401 from an old token.
 */
export function runWavesScenario(context: ScenarioContext): Promise<ScenarioReport> {
  const runs = context.quick ? 1 : 3
  // A smoke run sends 6 waves, 3 token lifetimes: stale 401s still arrive after each refresh.
  const waves = context.quick ? 6 : 10
  const lifetimesPerRun = (waves * waveIntervalMs) / lifetimeMs
  return forEachExpiryMode(context, 'waves', async ({ expiryKnown, scenario, contenders }) => {
    const { rows, targets } = await measureContenders(context, {
      scenario,
      contenders,
      runs,
      // A smoke run relies on the burst scenario, which runs first, to have warmed the same code up.
      warmUp: !context.quick,
      session: (run) => ({
        provider: {
          accessTokenLifetimeMs: lifetimeMs,
          tokenLatencyMs,
          apiLatencyMs,
          seed: 100 + run,
        },
        initialExpiresInMs: lifetimeMs,
        expiryKnown,
      }),
      traffic: async (contender) => {
        const log = new RequestLog()
        const startedAt = performance.now()
        for (let wave = 0; wave < waves; wave++) {
          await sleep(startedAt + wave * waveIntervalMs - performance.now())
          for (let index = 0; index < requestsPerWave; index++) {
            void log.track(contender.get(`/items/${wave}-${index}`))
          }
        }
        return log.settle(10_000)
      },
    })
    const table = correctnessTable(
      `Waves: ${waves * requestsPerWave} requests across ${lifetimeMs} ms token lifetimes, expiry ${expiryKnown ? 'known' : 'unknown'}`,
      [
        expiryKnown
          ? 'The client is told when its tokens expire, so a proactive client can refresh before sending; a request can still meet a 401 when its token expires while it is in flight.'
          : 'The client is not told when its tokens expire: every refresh starts from a 401, and 401s of requests sent with the old token keep arriving after the refresh finished.',
        `${waves} waves of ${requestsPerWave} concurrent GETs, one wave every ${waveIntervalMs} ms; every access token lives ${lifetimeMs} ms. Each request spends ${apiLatencyMs.min}–${apiLatencyMs.max} ms (random, seeded) in flight before the API checks its token. Token endpoint latency ${tokenLatencyMs} ms. The traffic spans ${lifetimesPerRun} token lifetimes per run. Totals over ${runs} run${runs === 1 ? '' : 's'} per contender${context.quick ? '' : ' after one unrecorded warm-up run'}.`,
      ],
      rows,
      lifetimesPerRun,
    )
    return { table, targets }
  })
}
