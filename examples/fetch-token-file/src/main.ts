import { stat } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import { createTokenRefresher } from '@tokenflight/core'
import {
  connectUserSession,
  createRunLog,
  exitWithError,
  reportRun,
} from '@tokenflight/example-support'
import { withTokenRefresh } from '@tokenflight/fetch'
import { refreshTokenGrant } from '@tokenflight/oauth2'
import { fileTokenStore } from '@tokenflight/oauth2/node'
import { tokenFilePath } from './token-file-path.js'

// A script that calls an API with a user's tokens whose refresh tokens are single-use and rotate on every refresh
// (Autodesk APS, Box, Auth0 rotation). Each new refresh token is written to a token file, atomically and readable by
// the owner only, before any request uses it; so when the script restarts (it does once, halfway) it carries on with
// the session instead of asking the user to sign in again.

const accessTokenLifetimeMs = 1_000
const runMs = 3_600

async function main(): Promise<void> {
  const provider = connectUserSession({ accessTokenLifetimeMs, rejectTokenEarlyAfterRefreshes: 4 })
  try {
    console.log(provider.description)
    const tokenFile = tokenFilePath(provider.simulator !== undefined)
    const log = createRunLog()
    let requests = 0

    for (const run of ['Start', 'Restart']) {
      const store = fileTokenStore(tokenFile)
      // A malformed file throws here, with a message that names the path (never the contents).
      if ((await store.get()) === undefined) {
        console.log(`${run}: no session in ${tokenFile}, signing in`)
        await store.set(provider.signIn())
      } else {
        console.log(`${run}: session read from ${tokenFile}`)
      }
      const refresher = createTokenRefresher({
        store,
        refresh: refreshTokenGrant(provider.grant),
        onEvent: log.onEvent,
      })
      const apiFetch = withTokenRefresh(fetch, refresher, { origins: [provider.apiUrl.origin] })

      while (log.elapsedMs() < (run === 'Start' ? runMs / 2 : runMs)) {
        const responses = await Promise.all([1, 2, 3, 4].map(() => apiFetch(provider.apiUrl)))
        requests += responses.length
        for (const response of responses) {
          if (!response.ok) throw new Error(`${response.url} answered ${response.status}`)
          await response.json()
        }
        await sleep(100)
      }
      // A clean shutdown lets a refresh that is still running finish, and persist its tokens.
      await log.settled()
    }

    const mode = ((await stat(tokenFile)).mode & 0o777).toString(8)
    await reportRun({
      requests,
      log,
      simulator: provider.simulator,
      accessTokenLifetimeMs,
      notes: [`Tokens saved:     ${tokenFile} (mode ${mode}), after every refresh`],
    })
  } finally {
    provider.close()
  }
}

main().catch(exitWithError)
