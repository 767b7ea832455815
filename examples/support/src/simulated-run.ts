import type { OAuthSimulator } from '@tokenflight/testing'
import {
  type OAuthSimulatorServer,
  type ServeOAuthSimulatorOptions,
  serveOAuthSimulator,
} from '@tokenflight/testing/node'
import {
  anySettingGiven,
  finishRun,
  runAgainstYourProvider,
  runExampleProgram,
} from './example-program.js'

/** The client the simulated token endpoint requires, so that an example authenticates as with a real provider. */
export const simulatedClient = { id: 'example-app', secret: 'example-secret' } as const

/**
 * How the examples that keep a user's session meet the simulator: the variables of their README (`OAUTH2_*` and
 * `API_URL`), set to the simulator's token endpoint, its client, the refresh token of a sign-in and its `/v1/me`.
 */
export const userSession: Pick<SimulatedRunOptions, 'realProviderSettings' | 'settings'> = {
  realProviderSettings: [
    'OAUTH2_ISSUER',
    'OAUTH2_TOKEN_ENDPOINT',
    'OAUTH2_CLIENT_ID',
    'OAUTH2_CLIENT_SECRET',
    'OAUTH2_REFRESH_TOKEN',
    'API_URL',
  ],
  settings: ({ simulator }) => ({
    OAUTH2_TOKEN_ENDPOINT: simulator.tokenUrl,
    OAUTH2_CLIENT_ID: simulatedClient.id,
    OAUTH2_CLIENT_SECRET: simulatedClient.secret,
    OAUTH2_REFRESH_TOKEN: simulator.signIn().refreshToken ?? '',
    API_URL: `${simulator.apiUrl}/v1/me`,
  }),
}

/** Options of {@link runOnSimulatedProvider}: the simulator's, and how the example meets it. */
export interface SimulatedRunOptions extends ServeOAuthSimulatorOptions {
  /** The example's folder, whose `src/main.ts` runs. */
  example: string
  /** The variables of the example's README: with any of them set, `src/main.ts` runs alone, against that provider. */
  realProviderSettings: readonly string[]
  /** The settings that point `src/main.ts` at the simulator, read once before the first run. */
  settings: (server: OAuthSimulatorServer) => Record<string, string>
  /**
   * A quarter of a lifetime after this many token requests, the provider rejects the access tokens it issued so far,
   * once, before they expire (as after a key rotation), so that the run shows 401s absorbed. Default: never.
   */
  rejectTokenEarlyAfterRefreshes?: number
  /** How many times `src/main.ts` runs, one after the other: 2 shows a session surviving a restart. Default 1. */
  runs?: number
  /** A request sent with an expired token is a failure: tokens are replaced before they expire. Default false. */
  expectNoUnauthorized?: boolean
  /** Lines to print after the counts, such as where the session was kept. Default: none. */
  notes?: () => Promise<string[]>
}

/**
 * Runs an example's `src/main.ts` against the simulated provider of `@tokenflight/testing`, served on a loopback port,
 * then prints what the provider saw and checks it: the program succeeded, no refresh token was used twice, and no more
 * token requests were made than token lifetimes passed. With the example's real settings given, runs the program
 * alone instead.
 *
 * @example
 * await runOnSimulatedProvider({ example: import.meta.dirname, realProviderSettings, settings, accessTokenLifetimeMs: 1_000 })
 */
export async function runOnSimulatedProvider(options: SimulatedRunOptions): Promise<void> {
  const {
    example,
    realProviderSettings,
    settings,
    rejectTokenEarlyAfterRefreshes,
    runs = 1,
    expectNoUnauthorized = false,
    notes,
    ...simulatorOptions
  } = options
  if (anySettingGiven(realProviderSettings)) return runAgainstYourProvider(example)

  const server = await serveOAuthSimulator({
    client: simulatedClient,
    tokenLatencyMs: 20,
    ...simulatorOptions,
  })
  const { simulator } = server
  const lifetimeMs = simulatorOptions.accessTokenLifetimeMs ?? 3_600_000
  console.log(
    `Simulated provider on ${server.origin}: access tokens live ${lifetimeMs} ms, refresh tokens are single-use`,
  )
  console.log('(set the variables in README.md to run against a real one)')
  const stopRejecting =
    rejectTokenEarlyAfterRefreshes === undefined
      ? () => {}
      : rejectTokensEarly(simulator, rejectTokenEarlyAfterRefreshes, lifetimeMs / 4)
  const env = settings(server)
  let programExitCode = 0
  let elapsedMs = 0
  try {
    for (let run = 1; run <= runs && programExitCode === 0; run++) {
      if (runs > 1) console.log(`--- run ${run} of ${runs}`)
      const exit = await runExampleProgram(example, { env })
      programExitCode = exit.exitCode
      elapsedMs += exit.durationMs
    }
  } finally {
    stopRejecting()
    await server.close()
  }

  const { refreshCalls, reusedRefreshTokens, unauthorizedResponses, apiRequests } = simulator.stats
  const problems: string[] = []
  if (reusedRefreshTokens > 0)
    problems.push(`${reusedRefreshTokens} refresh tokens were used twice`)
  if (expectNoUnauthorized && unauthorizedResponses > 0) {
    problems.push(`${unauthorizedResponses} requests were sent with an expired token`)
  }
  // A token is refreshed once, from half its lifetime on; each run may start with one refresh, and an early rejection
  // adds one. The time a run took includes starting Node, so this errs on the generous side.
  const most =
    Math.ceil(elapsedMs / (lifetimeMs / 2)) +
    runs +
    (rejectTokenEarlyAfterRefreshes === undefined ? 0 : 1)
  if (refreshCalls > most) {
    problems.push(
      `${refreshCalls} token requests in ${Math.round(elapsedMs)} ms, expected at most ${most}`,
    )
  }
  const replayed = unauthorizedResponses === 0 ? '' : ', replayed with the new token'
  finishRun({
    programExitCode,
    lines: [
      `Provider saw:     ${refreshCalls} token requests, ${reusedRefreshTokens} refresh tokens used twice`,
      `API requests:     ${apiRequests.length}`,
      `401s absorbed:    ${unauthorizedResponses}${replayed}`,
      ...((await notes?.()) ?? []),
    ],
    problems,
    expectation: 'no failed request, one token request per token, no refresh token used twice',
  })
}

/** Rejects the access tokens issued so far once, `delayMs` after the `afterRefreshes`-th token request. */
function rejectTokensEarly(
  simulator: OAuthSimulator,
  afterRefreshes: number,
  delayMs: number,
): () => void {
  let rejection: NodeJS.Timeout | undefined
  // Timed from a token request rather than from the start, so that it never races the next refresh.
  const watch = setInterval(() => {
    if (simulator.stats.refreshCalls < afterRefreshes) return
    clearInterval(watch)
    rejection = setTimeout(() => simulator.expireAccessTokens(), delayMs)
  }, 5)
  return () => {
    clearInterval(watch)
    clearTimeout(rejection)
  }
}
