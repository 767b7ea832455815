// One tab of the app under test: the README example's session, and the adapter named in the page's `?adapter=`.
import { attachTokenRefresh } from '@tokenflight/axios'
import { browserTokenStore } from '@tokenflight/browser'
import { parseTokenResponse, type TokenSet } from '@tokenflight/core'
import { tokenRefreshHooks } from '@tokenflight/ky'
import axios from 'axios'
import ky from 'ky'
import { startSession } from '../readme-example.js'

/** What a test drives in each tab, through `page.evaluate`. */
export interface TabApp {
  /** Resolves once the tab read the stored session, as an app does with its first call at startup. */
  started(): Promise<void>
  /** Sends `count` API requests at once; resolves each one's status, or the name of the error it rejected with. */
  burst(count: number): Promise<Array<number | string>>
  signIn(tokens: TokenSet): Promise<void>
  signOut(): Promise<void>
  accessToken(): string | undefined
  /** When `onSessionExpired` fired in this tab, in epoch milliseconds. */
  readonly signedOutAt: number[]
}

/** The store alone, below any refresher, under a key of its own. */
export interface StoreProbe {
  readonly lockKind: string
  /**
   * `times` times over: takes the lock, reads the stored tokens, exchanges their refresh token at the token endpoint
   * and writes the result, as a refresh under the lock does. Resolves the token endpoint's errors, if any.
   */
  rotate(times: number): Promise<string[]>
  /** Takes the lock and never lets go, as a tab that hangs mid-refresh; resolves once it holds it. */
  holdForever(): Promise<void>
  /** Takes the lock, and resolves when it was granted, in epoch milliseconds. */
  takeLock(): Promise<number>
  /** Writes, and resolves when the write started, in epoch milliseconds. */
  set(tokens: TokenSet): Promise<number>
  /** Clears, and resolves when the write started, in epoch milliseconds. */
  clear(): Promise<number>
  /** What the store's subscription heard, and when. */
  readonly heard: Array<{ at: number; accessToken: string | undefined }>
}

declare global {
  interface Window {
    tabApp: TabApp
    storeProbe: StoreProbe
  }
}

const origin = location.origin
const signedOutAt: number[] = []
const { refresher, apiFetch } = startSession({
  tokenEndpoint: `${origin}/oauth/token`,
  clientId: 'tabs-test',
  apiOrigin: origin,
  onSignedOut: () => signedOutAt.push(Date.now()),
})

// The refresher reads the stored session, and starts hearing other tabs, at its first call.
const started = refresher.getAccessToken().then(
  () => {},
  () => {},
)

const adapter = new URLSearchParams(location.search).get('adapter') ?? 'fetch'
const callApi = clientFor(adapter)
let serial = 0

function clientFor(name: string): (url: string) => Promise<number> {
  switch (name) {
    case 'fetch':
      return async (url) => (await apiFetch(url)).status
    case 'ky': {
      const api = ky.create({
        hooks: tokenRefreshHooks(refresher, { origins: [origin] }),
        retry: 0,
        throwHttpErrors: false,
      })
      return async (url) => (await api.get(url)).status
    }
    case 'axios': {
      const api = axios.create({ validateStatus: () => true })
      attachTokenRefresh(api, refresher, { origins: [origin] })
      return async (url) => (await api.get(url)).status
    }
    default:
      throw new TypeError(`Unknown adapter ${name}`)
  }
}

window.tabApp = {
  started: () => started,
  burst: (count) =>
    Promise.all(
      Array.from({ length: count }, () =>
        callApi(`${origin}/api/items/${++serial}`).catch((error: unknown) =>
          error instanceof Error ? error.name : String(error),
        ),
      ),
    ),
  signIn: (tokens) => refresher.setTokens(tokens),
  signOut: () => refresher.clear(),
  accessToken: () => refresher.getTokens()?.accessToken,
  signedOutAt,
}

const probeStore = browserTokenStore({ key: 'probe', leaseMs: 1_000 })
const heard: StoreProbe['heard'] = []
probeStore.subscribe((tokens) => heard.push({ at: Date.now(), accessToken: tokens?.accessToken }))
const forever = { signal: new AbortController().signal }

window.storeProbe = {
  lockKind: probeStore.lockKind,
  rotate: async (times) => {
    const errors: string[] = []
    for (let round = 0; round < times; round++) {
      await probeStore.lock(async () => {
        const stored = await probeStore.get()
        const response = await fetch(`${origin}/oauth/token`, {
          method: 'POST',
          body: new URLSearchParams({
            grant_type: 'refresh_token',
            refresh_token: stored?.refreshToken ?? '',
          }),
        })
        const body = await response.json()
        if (typeof body.error === 'string') errors.push(body.error)
        else await probeStore.set(parseTokenResponse(body))
      }, forever)
    }
    return errors
  },
  holdForever: () =>
    new Promise((granted) => {
      probeStore.lock(() => {
        granted()
        return new Promise<never>(() => {})
      }, forever)
    }),
  takeLock: () => probeStore.lock(async () => Date.now(), forever),
  set: async (tokens) => {
    const startedAt = Date.now()
    await probeStore.set(tokens)
    return startedAt
  },
  clear: async () => {
    const startedAt = Date.now()
    await probeStore.clear()
    return startedAt
  },
  heard,
}
