import { readFile } from 'node:fs/promises'
import type { Page } from 'playwright'
import { describe, expect, it } from 'vitest'
import {
  type Adapter,
  accessTokens,
  burstInEveryTab,
  expectNoTokenIn,
  signIn,
  type Tabs,
  useTabs,
  withoutBroadcastChannel,
  withoutWebLocks,
} from './support/tabs.js'

// The README example's refresher in real tabs: several pages of one origin in one Chromium context, sharing
// IndexedDB, Web Locks and BroadcastChannel, against a provider with single-use rotating refresh tokens and reuse
// detection (a refresh token presented twice revokes the whole session).
const startTabs = useTabs()

async function signedInTabs(
  count: number,
  options: { adapter?: Adapter; initScript?: () => void } = {},
): Promise<Tabs & { first: Page }> {
  const tabs = await startTabs({ tabs: count, ...options })
  const first = tabs.pages[0] as Page
  await signIn(first, tabs.server.simulator.signIn())
  for (const page of tabs.pages) {
    await page.waitForFunction(() => window.tabApp.accessToken() !== undefined)
  }
  return { ...tabs, first }
}

describe('the README', () => {
  it('shows the example file as it is', async () => {
    const [readme, example] = await Promise.all([
      readFile(new URL('../README.md', import.meta.url), 'utf8'),
      readFile(new URL('./readme-example.ts', import.meta.url), 'utf8'),
    ])
    expect(readme).toContain(`\`\`\`ts\n${example}\`\`\``)
  })
})

describe("the root README's section 'One session, many tabs'", () => {
  it('shows the snippet file as it is', async () => {
    const [readme, snippet] = await Promise.all([
      readFile(new URL('../../../README.md', import.meta.url), 'utf8'),
      readFile(new URL('./root-readme/refresher.ts', import.meta.url), 'utf8'),
    ])
    const section = readme.slice(readme.indexOf('## One session, many tabs'))
    expect(section).toContain(`\`\`\`ts\n${snippet}\`\`\``)
  })

  it('runs in five tabs: a 401 in every tab makes one token request, and a revoked session shows the sign-in once in each', async () => {
    const { server, pages, context } = await startTabs({ tabs: 5, page: 'root-readme-app' })
    const { simulator } = server
    // The snippet's token endpoint, answered by the simulated provider; the page may read the answer (CORS).
    await context.route('https://auth.example.com/oauth/token', async (route) => {
      const response = await route.fetch({ url: simulator.tokenUrl })
      await route.fulfill({
        response,
        headers: { ...response.headers(), 'access-control-allow-origin': '*' },
      })
    })
    const first = pages[0] as Page
    await first.evaluate((tokens) => window.rootReadme.signIn(tokens), simulator.signIn())
    // Every tab sends a request with the token it holds, and each gets a 401. All are sent before any 401 is
    // answered: a tab whose request went out after the refresh would send the new token, and its 401 would be news.
    const sent = await Promise.all(
      pages.map((page) => page.evaluate(() => window.rootReadme.tokenToSend())),
    )
    expect(new Set(sent).size).toBe(1)
    const retried = await Promise.all(
      pages.map((page, index) =>
        page.evaluate(
          (sentWith) => window.rootReadme.answerUnauthorized(sentWith),
          sent[index] as string,
        ),
      ),
    )

    expect(simulator.stats.refreshCalls).toBe(1)
    expect(simulator.stats.reusedRefreshTokens).toBe(0)
    expect(new Set(retried).size).toBe(1)

    // The provider revokes the session: the first tab to refresh ends it, and every tab shows the sign-in once.
    simulator.revokeSession()
    const failure = await first.evaluate(() =>
      window.rootReadme.afterUnauthorized().then(String, (error: Error) => error.name),
    )
    for (const page of pages) {
      await page.waitForFunction(() => window.rootReadme.signInShownAt.length > 0)
    }
    const shown = await Promise.all(
      pages.map((page) => page.evaluate(() => window.rootReadme.signInShownAt.length)),
    )

    expect(failure).toBe('SessionExpiredError')
    expect(shown).toEqual([1, 1, 1, 1, 1])
  })
})

const expiries = 10

describe.each<Adapter>(['fetch', 'ky', 'axios'])('five tabs through %s', (adapter) => {
  describe('when the access token expires ten times under bursts in every tab', () => {
    it('refreshes once per expiry, with no invalid_grant, no failed request, and every tab on the newest token', async () => {
      const { server, pages, console } = await signedInTabs(5, { adapter })
      const { simulator } = server
      const statuses = await burstInEveryTab(pages, 2)

      for (let expiry = 1; expiry <= expiries; expiry++) {
        simulator.expireAccessTokens()
        statuses.push(...(await burstInEveryTab(pages, 4)))
      }

      expect(simulator.stats.refreshCalls).toBe(expiries)
      expect(simulator.stats.reusedRefreshTokens).toBe(0)
      expect(statuses.filter((status) => status !== 200)).toEqual([])
      expect(statuses).toHaveLength(5 * 2 + expiries * 5 * 4)
      const newest = simulator.stats.apiRequests.at(-1)?.accessToken
      expect(await accessTokens(pages)).toEqual(Array(5).fill(newest))
      expectNoTokenIn(console, simulator.issuedTokens())
    })
  })
})

describe('when one tab signs out, and another signs in', () => {
  it('ends the session in the four other tabs within 1 s, once each, then signs all five in again without a token call', async () => {
    const { server, pages, first } = await signedInTabs(5)
    const [, second, ...rest] = pages as [Page, Page, ...Page[]]
    const before = await Promise.all(
      pages.map((page) => page.evaluate(() => window.tabApp.signedOutAt.length)),
    )

    const signedOutAt = await first.evaluate(async () => {
      const startedAt = Date.now()
      await window.tabApp.signOut()
      return startedAt
    })
    for (const page of pages.slice(1)) {
      await page.waitForFunction(() => window.tabApp.accessToken() === undefined)
    }
    const delaysMs: number[] = []
    for (const [index, page] of pages.entries()) {
      const times = await page.evaluate(() => window.tabApp.signedOutAt)
      // The tab that signed out calls no callback: its app knows.
      const fired = times.slice(before[index])
      expect(fired).toHaveLength(index === 0 ? 0 : 1)
      if (index > 0) delaysMs.push((fired[0] ?? Number.NaN) - signedOutAt)
    }

    const tokens = server.simulator.signIn()
    const signedInAt = await second.evaluate(async (signedIn) => {
      const startedAt = Date.now()
      await window.tabApp.signIn(signedIn)
      return startedAt
    }, tokens)
    for (const page of [first, ...rest]) {
      const adoptedAt = await page.waitForFunction(
        (expected) => window.tabApp.accessToken() === expected && Date.now(),
        tokens.accessToken,
      )
      delaysMs.push(((await adoptedAt.jsonValue()) as number) - signedInAt)
    }
    const statuses = await burstInEveryTab(pages, 2)

    console.info(
      `sign-out, then sign-in, reached the other tabs after (ms): ${delaysMs.join(', ')}`,
    )
    expect(Math.max(...delaysMs)).toBeLessThan(1_000)
    expect(statuses).toEqual(Array(10).fill(200))
    expect(server.simulator.stats.refreshCalls).toBe(0)
  })
})

describe('when the tab holding the lock is closed in the middle of a refresh', () => {
  it('lets the other tabs refresh and go on, with no failed request after it', async () => {
    const { server, pages, first } = await signedInTabs(5)
    const { simulator } = server
    const others = pages.slice(1)
    // Its token request never reaches the provider: it waits until the closing tab abandons it.
    simulator.failTokenRequests('hang')
    simulator.expireAccessTokens()
    first.evaluate(() => window.tabApp.burst(2)).catch(() => {})
    await expect.poll(() => simulator.stats.refreshCalls).toBe(1)
    const bursts = burstInEveryTab(others, 2)
    // All four wait for the lock the first tab holds.
    await expect
      .poll(() => others[0]?.evaluate(async () => (await navigator.locks.query()).pending?.length))
      .toBe(4)

    await first.close()
    const statuses = await bursts
    simulator.expireAccessTokens()
    statuses.push(...(await burstInEveryTab(others, 4)))

    expect(statuses).toEqual(Array(4 * 2 + 4 * 4).fill(200))
    expect(simulator.stats.refreshCalls).toBe(3)
    expect(simulator.stats.reusedRefreshTokens).toBe(0)
  })
})

describe('when navigator.locks is missing', () => {
  it('refreshes once per expiry on the lease, with no refresh token used twice', async () => {
    const { server, pages } = await signedInTabs(5, { initScript: withoutWebLocks })
    const { simulator } = server
    expect(await pages[0]?.evaluate(() => window.storeProbe.lockKind)).toBe('lease')
    const statuses: Array<number | string> = []

    for (let expiry = 1; expiry <= 5; expiry++) {
      simulator.expireAccessTokens()
      statuses.push(...(await burstInEveryTab(pages, 4)))
    }

    expect(simulator.stats.refreshCalls).toBe(5)
    expect(simulator.stats.reusedRefreshTokens).toBe(0)
    expect(statuses).toEqual(Array(5 * 5 * 4).fill(200))
  })
})

describe('when a tab comes back from the back/forward cache after another signed out', () => {
  it('ends its session too, once', async () => {
    // Without BroadcastChannel: Chromium evicts a cached page that a BroadcastChannel message would reach, and
    // reloads it; the storage event lets it stay cached, frozen, and be restored as it was.
    const { server, pages, first } = await signedInTabs(2, { initScript: withoutBroadcastChannel })
    const second = pages[1] as Page
    await second.evaluate(() => {
      ;(window as { restored?: boolean }).restored = false
      addEventListener('pageshow', (event) => {
        ;(window as { restored?: boolean }).restored = event.persisted
      })
    })
    const before = await second.evaluate(() => window.tabApp.signedOutAt.length)
    await second.goto(`${server.origin}/elsewhere`)

    await first.evaluate(() => window.tabApp.signOut())
    await second.goBack({ waitUntil: 'commit' })

    await second.waitForFunction(() => window.tabApp?.accessToken() === undefined)
    expect(await second.evaluate(() => (window as { restored?: boolean }).restored)).toBe(true)
    await expect
      .poll(() => second.evaluate(() => window.tabApp.signedOutAt.length))
      .toBe(before + 1)
  })
})
