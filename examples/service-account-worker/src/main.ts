import { createTokenRefresher } from '@tokenflight/core'
import { createRunLog, exitWithError, reportRun } from '@tokenflight/example-support'
import { withTokenRefresh } from '@tokenflight/fetch'
import pLimit from 'p-limit'
import { connectServiceAccount } from './service-account.js'

// A worker that works through a queue of jobs, four at a time, calling an API as a service account. Tokens are
// minted before they are needed (client credentials, or a signed JWT assertion), so no job ever waits on a token
// request or gets a 401: with hour-long tokens a new one is fetched in the background 5 minutes before expiry, and
// callers would wait only in the last minute. On the simulator tokens live 1 s, and both windows shrink to fit.

const accessTokenLifetimeMs = 1_000
const jobCount = 400

async function main(): Promise<void> {
  const account = connectServiceAccount({ accessTokenLifetimeMs })
  try {
    console.log(account.description)
    const log = createRunLog()
    const refresher = createTokenRefresher({
      refresh: account.mintToken,
      // A minute before expiry the token counts as expired: the default, spelled out.
      refreshBeforeExpiryMs: 60_000,
      onEvent: log.onEvent,
    })
    const apiFetch = withTokenRefresh(fetch, refresher, { origins: [account.apiUrl.origin] })

    async function runJob(job: number): Promise<void> {
      const input = await apiFetch(account.apiUrl)
      if (!input.ok) throw new Error(`Job ${job}: GET ${account.apiUrl} answered ${input.status}`)
      await input.json()
      const output = await apiFetch(account.apiUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ job, status: 'done' }),
      })
      if (!output.ok)
        throw new Error(`Job ${job}: POST ${account.apiUrl} answered ${output.status}`)
      await output.json()
    }

    const limit = pLimit(4)
    const jobs = Array.from({ length: jobCount }, (_, index) => index + 1)
    // A failed job rejects here and ends the run with its error.
    await limit.map(jobs, runJob)

    await reportRun({
      requests: jobCount * 2,
      log,
      simulator: account.simulator,
      accessTokenLifetimeMs,
      expectNoUnauthorized: true,
      notes: [`Jobs done:        ${jobCount}, at most ${limit.concurrency} at a time`],
    })
  } finally {
    account.close()
  }
}

main().catch(exitWithError)
