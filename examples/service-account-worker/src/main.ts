import { createTokenRefresher } from '@tokenflight/core'
import { withTokenRefresh } from '@tokenflight/fetch'
import pLimit from 'p-limit'
import { readServiceAccount, SettingError } from './settings.js'

// A worker that works through a queue of jobs, four at a time, calling an API as a service account. Tokens are
// minted before they are needed (client credentials, or a signed JWT assertion), so no job ever waits on a token
// request or gets a 401: with hour-long tokens a new one is fetched in the background 5 minutes before expiry, and
// callers would wait only in the last minute. With tokens that live seconds, both windows shrink to fit.

const jobCount = 400

async function main(): Promise<void> {
  const { mintToken, apiUrl } = readServiceAccount()
  const refresher = createTokenRefresher({
    refresh: mintToken,
    // A minute before expiry the token counts as expired: the default, spelled out.
    refreshBeforeExpiryMs: 60_000,
    // One line per token minted; no event carries a token.
    onEvent: (event) => {
      if (event.type === 'refresh-succeeded') {
        console.log(`token minted (${event.reason}) in ${Math.round(event.durationMs)} ms`)
      }
    },
  })
  const apiFetch = withTokenRefresh(fetch, refresher, { origins: [apiUrl.origin] })

  async function runJob(job: number): Promise<void> {
    const input = await apiFetch(apiUrl)
    if (!input.ok) throw new Error(`Job ${job}: GET ${apiUrl} answered ${input.status}`)
    await input.json()
    const output = await apiFetch(apiUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ job, status: 'done' }),
    })
    if (!output.ok) throw new Error(`Job ${job}: POST ${apiUrl} answered ${output.status}`)
    await output.json()
  }

  const limit = pLimit(4)
  const jobs = Array.from({ length: jobCount }, (_, index) => index + 1)
  // A failed job rejects here and ends the run with its error.
  await limit.map(jobs, runJob)
  console.log(
    `${jobCount} jobs done, at most ${limit.concurrency} at a time: ${jobCount * 2} requests, none failed`,
  )
}

main().catch((error: unknown) => {
  // One line, the error's message and its causes': never a stack trace, nor a property that may hold a token.
  const messages: string[] = []
  for (
    let cause = error;
    cause !== undefined;
    cause = cause instanceof Error ? cause.cause : undefined
  ) {
    messages.push(cause instanceof Error ? cause.message : String(cause))
  }
  console.error(`Failed: ${messages.join(': ')}`)
  process.exitCode = error instanceof SettingError ? 2 : 1
})
