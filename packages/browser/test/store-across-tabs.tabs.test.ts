import type { Page } from 'playwright'
import { describe, expect, it } from 'vitest'
import { useTabs, withoutBroadcastChannel, withoutWebLocks } from './support/tabs.js'

// The store alone in five real tabs, below any refresher: what its lock and its notices guarantee.
const startTabs = useTabs()

function rotateInEveryTab(pages: Page[], times: number): Promise<string[]> {
  return Promise.all(
    pages.map((page) => page.evaluate((count) => window.storeProbe.rotate(count), times)),
  ).then((errors) => errors.flat())
}

describe.each([
  ['Web Locks', undefined, 'web-locks'],
  ['the lease, with navigator.locks removed', withoutWebLocks, 'lease'],
])('when five tabs refresh one after the other under %s', (_name, initScript, lockKind) => {
  it('reads under the lock what the previous holder wrote: fifty rotations, no refresh token used twice', async () => {
    const { server, pages } = await startTabs({ tabs: 5, initScript })
    const { simulator } = server
    expect(await pages[0]?.evaluate(() => window.storeProbe.lockKind)).toBe(lockKind)
    await pages[0]?.evaluate((tokens) => window.storeProbe.set(tokens), simulator.signIn())

    const errors = await rotateInEveryTab(pages, 10)

    expect(errors).toEqual([])
    expect(simulator.stats.refreshCalls).toBe(50)
    expect(simulator.stats.reusedRefreshTokens).toBe(0)
  })
})

describe.each([
  ['BroadcastChannel', undefined],
  ['the storage event, with BroadcastChannel removed', withoutBroadcastChannel],
])('when one tab writes the session, told through %s', (_name, initScript) => {
  it('tells the four other tabs of a sign-in and of a sign-out within 1 s, and not the writer', async () => {
    const { server, pages } = await startTabs({ tabs: 5, initScript })
    const [writer, ...others] = pages as [Page, ...Page[]]
    const tokens = server.simulator.signIn()

    const signedInAt = await writer.evaluate((signedIn) => window.storeProbe.set(signedIn), tokens)
    for (const page of others) {
      await page.waitForFunction(() => window.storeProbe.heard.length === 1)
    }
    const signedOutAt = await writer.evaluate(() => window.storeProbe.clear())
    for (const page of others) {
      await page.waitForFunction(() => window.storeProbe.heard.length === 2)
    }

    const delaysMs: number[] = []
    for (const page of others) {
      const heard = await page.evaluate(() => window.storeProbe.heard)
      expect(heard.map((entry) => entry.accessToken)).toEqual([tokens.accessToken, undefined])
      delaysMs.push(
        (heard[0]?.at ?? Number.NaN) - signedInAt,
        (heard[1]?.at ?? Number.NaN) - signedOutAt,
      )
    }
    console.info(`notice delays, ms: ${delaysMs.join(', ')}`)
    expect(Math.max(...delaysMs)).toBeLessThan(1_000)
    expect(await writer.evaluate(() => window.storeProbe.heard)).toEqual([])
  })
})

describe.each([
  ['Web Locks', undefined, 1_000],
  // The probe store's lease lasts 1 s unless renewed.
  ['the lease, with navigator.locks removed', withoutWebLocks, 2_500],
])('when the tab holding the lock is closed, under %s', (_name, initScript, boundMs) => {
  it('grants the lock to a waiting tab', async () => {
    const { pages } = await startTabs({ tabs: 2, initScript })
    const [holder, waiter] = pages as [Page, Page]
    await holder.evaluate(() => window.storeProbe.holdForever())
    const granted = waiter.evaluate(() => window.storeProbe.takeLock())
    await new Promise((resolve) => setTimeout(resolve, 200))

    const closedAt = Date.now()
    await holder.close()
    const waitedMs = (await granted) - closedAt

    console.info(`granted ${waitedMs} ms after the holder closed`)
    expect(waitedMs).toBeLessThan(boundMs)
  })
})
