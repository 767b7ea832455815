import { setTimeout as sleep } from 'node:timers/promises'
import { createTokenRefresher } from '@tokenflight/core'
import {
  connectUserSession,
  createRunLog,
  exitWithError,
  reportRun,
} from '@tokenflight/example-support'
import { tokenRefreshHooks } from '@tokenflight/ky'
import { refreshTokenGrant } from '@tokenflight/oauth2'
import ky from 'ky'

// An app on ky whose user stays signed in far longer than an access token lives. Every 100 ms it reads a resource
// and saves a draft at once; tokenflight refreshes each token once, before it expires, and when the provider rejects
// a token early it absorbs the 401 and replays the request, JSON body included. No request fails.

const accessTokenLifetimeMs = 1_000
const runMs = 3_500

async function main(): Promise<void> {
  const provider = connectUserSession({ accessTokenLifetimeMs, rejectTokenEarlyAfterRefreshes: 2 })
  try {
    console.log(provider.description)
    const log = createRunLog()
    const refresher = createTokenRefresher({
      initialTokens: provider.signIn(),
      refresh: refreshTokenGrant(provider.grant),
      onEvent: log.onEvent,
    })

    const api = ky.create({
      hooks: tokenRefreshHooks(refresher, { origins: [provider.apiUrl.origin] }),
    })

    let requests = 0
    for (let draft = 1; log.elapsedMs() < runMs; draft++) {
      requests += 2
      // A failed request rejects here (ky throws HTTPError for a status that is not 2xx) and ends the run.
      await Promise.all([
        api.get(provider.apiUrl).json(),
        api.post(provider.apiUrl, { json: { draft, text: 'Meeting notes' } }).json(),
      ])
      await sleep(100)
    }
    await reportRun({ requests, log, simulator: provider.simulator, accessTokenLifetimeMs })
  } finally {
    provider.close()
  }
}

main().catch(exitWithError)
