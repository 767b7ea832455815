import { setTimeout as sleep } from 'node:timers/promises'
import { createTokenRefresher, type RefreshFunction, SessionExpiredError } from '@tokenflight/core'
import { withTokenRefresh } from '@tokenflight/fetch'
import { readSettings, SettingError } from './settings.js'

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

const runMs = 4_500

async function main(): Promise<void> {
  const { refreshUrl, apiUrl, refreshToken } = readSettings()
  const refresher = createTokenRefresher({
    // Only the refresh token of a sign-in is known: an access token that expired long ago makes the first request
    // refresh. An app that saved the whole session passes that instead.
    initialTokens: { accessToken: 'none-yet', refreshToken, expiresAt: 0 },
    refresh: vendorRefresh(refreshUrl),
    // One line per refresh; no event carries a token.
    onEvent: (event) => {
      if (event.type === 'refresh-succeeded') {
        console.log(`refreshed (${event.reason}) in ${Math.round(event.durationMs)} ms`)
      }
    },
  })
  const apiFetch = withTokenRefresh(fetch, refresher, { origins: [apiUrl.origin] })

  const startedAt = Date.now()
  let requests = 0
  while (Date.now() - startedAt < runMs) {
    const responses = await Promise.all([1, 2, 3].map(() => apiFetch(apiUrl)))
    requests += responses.length
    for (const response of responses) {
      if (!response.ok) throw new Error(`${response.url} answered ${response.status}`)
      await response.json()
    }
    await sleep(100)
  }
  console.log(`${requests} requests, none failed`)
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
