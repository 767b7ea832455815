import { setTimeout as sleep } from 'node:timers/promises'
import { createTokenRefresher, type RefreshFunction, SessionExpiredError } from '@tokenflight/core'
import { createRunLog, exitWithError, reportRun } from '@tokenflight/example-support'
import { withTokenRefresh } from '@tokenflight/fetch'
import { connectVendor } from './vendor-provider.js'

// A vendor API with its own refresh endpoint instead of standard OAuth 2: it takes `{ refreshToken }` as JSON and
// answers `{ accessToken, refreshToken, accessTokenExpiredAt }`, the expiry in unix seconds. A custom refresh function
// maps that to a TokenSet; tokenflight does the rest (single flight, refresh before expiry, 401s).

/** What the vendor's refresh endpoint answers. */
interface VendorSession {
  accessToken: string
  refreshToken: string
  /** Unix seconds. */
  accessTokenExpiredAt: number
}

function vendorRefresh(refreshUrl: URL): RefreshFunction {
  return async ({ tokens, signal }) => {
    if (tokens?.refreshToken === undefined) {
      throw new SessionExpiredError('Session expired: there is no refresh token, sign in again')
    }
    let response: Response
    try {
      // The global fetch, not the wrapped one: a refresh never goes through the adapter.
      response = await fetch(refreshUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refreshToken: tokens.refreshToken }),
        signal,
      })
    } catch (error) {
      if (signal.aborted) throw error
      // fetch only says "fetch failed"; why (ECONNREFUSED, ENOTFOUND) is in its cause.
      const reason = (error as { cause?: { code?: string } }).cause?.code ?? 'network error'
      throw new Error(`Could not reach ${refreshUrl} (${reason})`, { cause: error })
    }
    // This vendor answers 401 to an expired or already used refresh token: the session is over.
    if (response.status === 401) {
      throw new SessionExpiredError(`Session expired: ${refreshUrl} rejected the refresh token`)
    }
    if (!response.ok) throw new Error(`${refreshUrl} answered ${response.status}`)
    // Not `response.json()`: a parse error would quote the body, which may hold a token.
    const session = (await response.json().catch(() => undefined)) as VendorSession | undefined
    if (session === undefined)
      throw new Error(`${refreshUrl} answered with a body that is not JSON`)
    // tokenflight checks the result: a missing `accessToken` or expiry fails the refresh, naming the field.
    return {
      accessToken: session.accessToken,
      refreshToken: session.refreshToken,
      expiresAt: session.accessTokenExpiredAt * 1000,
    }
  }
}

const accessTokenLifetimeMs = 3_000
const runMs = 4_500

async function main(): Promise<void> {
  const vendor = connectVendor({ accessTokenLifetimeMs })
  try {
    console.log(vendor.description)
    const log = createRunLog()
    const refresher = createTokenRefresher({
      initialTokens: vendor.signIn(),
      refresh: vendorRefresh(vendor.refreshUrl),
      onEvent: log.onEvent,
    })
    const apiFetch = withTokenRefresh(fetch, refresher, { origins: [vendor.apiUrl.origin] })

    let requests = 0
    while (log.elapsedMs() < runMs) {
      const responses = await Promise.all([1, 2, 3].map(() => apiFetch(vendor.apiUrl)))
      requests += responses.length
      for (const response of responses) {
        if (!response.ok) throw new Error(`${response.url} answered ${response.status}`)
        await response.json()
      }
      await sleep(100)
    }
    await reportRun({ requests, log, simulator: vendor.simulator, accessTokenLifetimeMs })
  } finally {
    vendor.close()
  }
}

main().catch(exitWithError)
