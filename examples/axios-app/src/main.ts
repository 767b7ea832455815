import { setTimeout as sleep } from 'node:timers/promises'
import { attachTokenRefresh } from '@tokenflight/axios'
import { createTokenRefresher } from '@tokenflight/core'
import {
  connectUserSession,
  createRunLog,
  exitWithError,
  reportRun,
} from '@tokenflight/example-support'
import { refreshTokenGrant } from '@tokenflight/oauth2'
import axios from 'axios'

// An app on axios whose user stays signed in far longer than an access token lives. Every 100 ms it loads three
// resources at once; tokenflight refreshes each token once, before it expires, and absorbs the 401 when the provider
// rejects a token early. The user never sees a failed request.

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

    const api = axios.create({ baseURL: provider.apiUrl.origin })
    attachTokenRefresh(api, refresher, { origins: [provider.apiUrl.origin] })

    let requests = 0
    while (log.elapsedMs() < runMs) {
      const page = [
        api.get(provider.apiUrl.href),
        api.get(provider.apiUrl.href),
        api.get(provider.apiUrl.href),
      ]
      requests += page.length
      // A failed request rejects here and ends the run with its error.
      await Promise.all(page)
      await sleep(100)
    }
    await reportRun({ requests, log, simulator: provider.simulator, accessTokenLifetimeMs })
  } finally {
    provider.close()
  }
}

main().catch(exitWithError)
