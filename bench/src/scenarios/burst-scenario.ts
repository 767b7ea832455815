import type { ScenarioReport } from '../report/table.js'
import { forEachExpiryMode, measureContenders } from './measure-contenders.js'
import { RequestLog } from './request-log.js'
import { correctnessTable } from './run-record.js'
import type { ScenarioContext } from './scenario-context.js'

const concurrentRequests = 100
const tokenLatencyMs = 20
const apiLatencyMs = { min: 0, max: 10 }

/**
 * 100 requests sent at once with an access token that has expired: once with the expiry known to the client
 * (it can refresh before sending) and once unknown (every request meets a 401 first).
 */
export function runBurstScenario(context: ScenarioContext): Promise<ScenarioReport> {
  // The settle times of the fetch rows lie within a few ms of each other, and a run on a shared machine swings by
  // tens of ms: 11 runs, taking turns, give a median that one or two disturbed runs cannot move.
  const runs = context.quick ? 1 : 11
  // A smoke run checks the outcome of each row, which a cold JIT does not change, and skips the warm-up round.
  const warmUp = !context.quick
  return forEachExpiryMode(context, 'burst', async ({ expiryKnown, scenario, contenders }) => {
    const { rows, targets } = await measureContenders(context, {
      scenario,
      contenders,
      runs,
      warmUp,
      session: (run) => ({
        provider: { accessTokenLifetimeMs: 3_600_000, tokenLatencyMs, apiLatencyMs, seed: run + 1 },
        initialExpiresInMs: -1_000,
        expiryKnown,
      }),
      traffic: async (contender) => {
        const log = new RequestLog()
        for (let index = 0; index < concurrentRequests; index++) {
          void log.track(contender.get(`/items/${index}`))
        }
        return log.settle(10_000)
      },
    })
    const table = correctnessTable(
      `Burst: ${concurrentRequests} concurrent requests on an expired token, expiry ${expiryKnown ? 'known' : 'unknown'}`,
      [
        expiryKnown
          ? 'The client is told when its token expires (`expires_in`, a JWT `exp`): it can see the token is expired before sending.'
          : 'The client is not told when its token expires (opaque token, no `expires_in`): every request is sent with the expired token and comes back 401, then the client refreshes.',
        `${concurrentRequests} GETs start in the same tick. Token endpoint latency ${tokenLatencyMs} ms, API latency ${apiLatencyMs.min}–${apiLatencyMs.max} ms (random, seeded). Totals over ${runs} run${runs === 1 ? '' : 's'} per contender${warmUp ? ' after an unrecorded warm-up run' : ''}; the contenders take turns run by run, each run starting with the next one. Settle time is from the first request sent to the last one settled: the median run's, and the fastest and slowest run's.`,
      ],
      rows,
    )
    return { table, targets }
  })
}
