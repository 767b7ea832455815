import type { Page } from 'playwright'
import { describe, expect, it } from 'vitest'
import { burstInEveryTab, expectNoTokenIn, signIn, type Tabs, useTabs } from './support/tabs.js'

// The browser's storage failing under the app, in real tabs: the typed error is reported, never a token, and the
// session goes on from the refresher's memory.
const startTabs = useTabs()

describe('when the origin has no storage quota left', () => {
  it('reports quota-exceeded on sign-in, goes on from memory, and saves the session once there is space', async () => {
    const { server, context, open, console } = await startTabs({ tabs: 0 })
    const blank = await context.newPage()
    const cdp = await context.newCDPSession(blank)
    await cdp.send('Storage.overrideQuotaForOrigin', { origin: server.origin, quotaSize: 1 })
    const page = await open()
    const pages = [page]

    const signInError = await page.evaluate(
      (tokens) =>
        window.tabApp.signIn(tokens).then(
          () => undefined,
          (error: { name: string; reason: string }) => ({ name: error.name, reason: error.reason }),
        ),
      server.simulator.signIn(),
    )
    server.simulator.expireAccessTokens()
    const statuses = await burstInEveryTab(pages, 3)

    // Space again: the next refresh saves the session, and a tab opened then shares it.
    await cdp.send('Storage.overrideQuotaForOrigin', { origin: server.origin })
    server.simulator.expireAccessTokens()
    statuses.push(...(await burstInEveryTab(pages, 3)))
    const later = await open()
    statuses.push(...(await burstInEveryTab([later], 3)))

    expect(signInError).toEqual({ name: 'BrowserTokenStoreError', reason: 'quota-exceeded' })
    expect(statuses).toEqual(Array(9).fill(200))
    expect(server.simulator.stats.refreshCalls).toBe(2)
    expect(console.join('\n')).toContain('quota')
    expectNoTokenIn(console, server.simulator.issuedTokens())
  })
})

// Runs in a page of the app's origin that is not the app, before any tab of the app opens.
async function prepareStorage(tabs: Tabs, prepare: () => Promise<void>): Promise<void> {
  const page = await tabs.context.newPage()
  await page.goto(`${tabs.server.origin}/elsewhere`)
  await page.evaluate(prepare)
  await page.close()
}

describe('when IndexedDB holds the session at a newer version than this copy reads', () => {
  it('reports unavailable, signs nobody out, and the tab signed in calls the API from memory', async () => {
    const tabs = await startTabs({ tabs: 0 })
    await prepareStorage(
      tabs,
      () =>
        new Promise((resolve) => {
          const opening = indexedDB.open('tokenflight', 2)
          opening.onsuccess = () => {
            opening.result.close()
            resolve()
          }
        }),
    )
    const page = await tabs.open()

    const signInError = await page.evaluate(
      (tokens) =>
        window.tabApp.signIn(tokens).then(
          () => undefined,
          (error: { name: string; reason: string }) => ({ name: error.name, reason: error.reason }),
        ),
      tabs.server.simulator.signIn(),
    )
    tabs.server.simulator.expireAccessTokens()
    const statuses = await burstInEveryTab([page], 3)

    expect(signInError).toEqual({ name: 'BrowserTokenStoreError', reason: 'unavailable' })
    expect(statuses).toEqual([200, 200, 200])
    expect(await page.evaluate(() => window.tabApp.signedOutAt)).toEqual([])
    expect(tabs.console.join('\n')).toContain('VersionError')
  })
})

describe('when the stored session is corrupt', () => {
  it('reports it without its content, signs nobody out, and a new sign-in replaces it in every tab', async () => {
    const tabs = await startTabs({ tabs: 0 })
    await prepareStorage(
      tabs,
      () =>
        new Promise((resolve) => {
          const opening = indexedDB.open('tokenflight', 1)
          opening.onupgradeneeded = () => {
            opening.result.createObjectStore('sessions')
            opening.result.createObjectStore('leases')
          }
          opening.onsuccess = () => {
            const transaction = opening.result.transaction('sessions', 'readwrite')
            const record = { revision: 4, tokens: '{"accessToken":"at_corrupt_secret"' }
            transaction.objectStore('sessions').put(record, 'my-app')
            transaction.oncomplete = () => {
              opening.result.close()
              resolve()
            }
          }
        }),
    )
    const pages = [await tabs.open(), await tabs.open()]
    const first = pages[0] as Page

    await signIn(first, tabs.server.simulator.signIn())
    // The second tab's first read failed; its next call reads the session the first tab saved.
    const statuses = await burstInEveryTab(pages, 2)

    expect(statuses).toEqual([200, 200, 200, 200])
    for (const page of pages)
      expect(await page.evaluate(() => window.tabApp.signedOutAt)).toEqual([])
    const text = tabs.console.join('\n')
    expect(text).toContain('corrupt')
    expect(text).not.toContain('at_corrupt_secret')
    expectNoTokenIn(tabs.console, tabs.server.simulator.issuedTokens())
  })
})
