import type { ScenarioReport, TargetResult } from '../report/table.js'
import { measureContenders } from './measure-contenders.js'
import { RequestLog } from './request-log.js'
import { correctnessColumns, correctnessRow, noiseNotes, type RunTotals } from './run-record.js'
import { isTokenflight, type ScenarioContext } from './scenario-context.js'

// One real millisecond is one simulated second: a 300 s token lives 300 ms, and 60 s of margin are 60 ms.
const clockSpeed = 1_000
const lifetimeMs = 300_000
const apiLatencyMs = { min: 0, max: 20 }
const tokenLatencyMs = 5
const concurrentUsers = 8

const policies = [
  {
    label: 'no margin',
    detail: 'refreshBeforeExpiryMs: 0, backgroundRefreshBeforeExpiryMs: 0',
    options: { refreshBeforeExpiryMs: 0, backgroundRefreshBeforeExpiryMs: 0 },
  },
  {
    label: '60 s margin',
    detail: 'refreshBeforeExpiryMs: 60 000, backgroundRefreshBeforeExpiryMs: 0',
    options: { refreshBeforeExpiryMs: 60_000, backgroundRefreshBeforeExpiryMs: 0 },
  },
  {
    label: 'defaults',
    detail: '60 s blocking margin, background window 5 min clamped to half the lifetime (150 s)',
    options: {},
  },
]

/**
 * Steady traffic across several token lifetimes on a compressed clock, tokens whose expiry is known: how many
 * 401s a 60 s refresh margin saves compared with none.
 */
export async function runProactiveScenario(context: ScenarioContext): Promise<ScenarioReport> {
  const durationMs = context.quick ? 400 : 1_000
  const runs = context.quick ? 1 : 2
  const rows: Array<{ name: string; policy: string; totals: RunTotals }> = []
  const targets: TargetResult[] = []
  for (const policy of policies) {
    const measured = await measureContenders(context, {
      scenario: `proactive, ${policy.label}`,
      contenders: context.contenders.filter(isTokenflight),
      runs,
      warmUp: !context.quick,
      session: (run) => {
        const realStart = performance.now()
        const epoch = Date.now()
        const now = () => epoch + (performance.now() - realStart) * clockSpeed
        return {
          provider: {
            accessTokenLifetimeMs: lifetimeMs,
            tokenLatencyMs,
            apiLatencyMs,
            now,
            seed: 500 + run,
            tokenFormat: 'opaque',
          },
          initialExpiresInMs: lifetimeMs,
          expiryKnown: true,
          refresherOptions: { ...policy.options, now },
        }
      },
      traffic: async (contender) => {
        const log = new RequestLog()
        const stopAt = performance.now() + durationMs
        const user = async (id: number) => {
          for (let index = 0; performance.now() < stopAt; index++) {
            await log.track(contender.get(`/users/${id}/items/${index}`))
          }
        }
        await Promise.all(Array.from({ length: concurrentUsers }, (_, id) => user(id)))
        return log.settle(5_000)
      },
    })
    rows.push(...measured.rows.map((row) => ({ ...row, policy: policy.label })))
    targets.push(...measured.targets)
  }
  const lifetimesPerRun = (durationMs * clockSpeed) / lifetimeMs
  return {
    tables: [
      {
        title: 'Proactive refresh: 401s with a 60 s margin and without',
        description: [
          `tokenflight only, on a compressed clock: the provider and the refresher share a clock on which one real millisecond is one second, injected through the refresher's \`now\` option. Tokens live ${lifetimeMs / 1000} s and their expiry is known (\`expires_in\`). ${concurrentUsers} loops send GETs one after another for ${durationMs} ms (${((durationMs * clockSpeed) / 60_000).toFixed(1)} simulated minutes, ${lifetimesPerRun.toFixed(1)} token lifetimes); each request spends ${apiLatencyMs.min}–${apiLatencyMs.max} s in flight before the API checks its token, the token endpoint takes ${tokenLatencyMs} s. Totals over ${runs} run${runs === 1 ? '' : 's'} per row${context.quick ? '' : ' after one unrecorded warm-up run'}.`,
          'Policies: ' +
            policies.map((policy) => `*${policy.label}*: ${policy.detail}`).join('; ') +
            '. Without a margin, a request sent in the last seconds of a token reaches the API after it expired and comes back 401 (the adapter refreshes and replays it); with the margin the token is replaced first. The *defaults* row refreshes about twice per lifetime: its 5-minute background window is clamped to half of this 300 s token, so every token is replaced half-way; with a one-hour token the same defaults start 5 minutes before expiry.',
          'The peers are not in this table: their expiry checks read `Date.now()` and OAuth2Fetch schedules its refresh with a real `setTimeout`, so they cannot run on a compressed clock, and a 60 s margin on real time would need minutes per run.',
        ],
        columns: ['contender', 'policy', ...correctnessColumns(true).slice(1)],
        rows: rows.map(({ name, policy, totals }) => {
          const [contender, ...cells] = correctnessRow(name, totals, lifetimesPerRun)
          return [contender ?? name, policy, ...cells]
        }),
        notes: noiseNotes(
          rows.map(({ name, policy, totals }) => ({
            name: `${name}, ${policy}`,
            noise: totals.noise,
          })),
        ),
      },
    ],
    targets,
  }
}
