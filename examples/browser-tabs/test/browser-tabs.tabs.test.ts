import { execFileSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { OAuthSimulatorServer } from '@tokenflight/testing/node'
import { type Browser, chromium, type Page } from 'playwright'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chromiumArgs } from '../../../vitest.workspace.js'
import { startExampleServer } from '../src/server.js'

// The example as a user sees it: its server, its page in three tabs of one browser. The page loads the packages'
// built ESM, so they are built first. Set TOKENFLIGHT_UPDATE_SCREENSHOT=1 to replace the README's screenshot.
const committedScreenshot = fileURLToPath(new URL('../screenshot.png', import.meta.url))

let server: OAuthSimulatorServer
let browser: Browser

beforeAll(async () => {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
  const root = fileURLToPath(new URL('../../../', import.meta.url))
  execFileSync(process.execPath, [tsc, '--build', 'packages/browser', 'packages/fetch'], {
    cwd: root,
  })
  ;[server, browser] = await Promise.all([
    startExampleServer(),
    chromium.launch({ executablePath: '/usr/bin/chromium', args: chromiumArgs }),
  ])
})
afterAll(async () => {
  await browser?.close()
  await server?.close()
})

function shows(page: Page, selector: string, text: string): Promise<unknown> {
  return page.waitForFunction(
    ([where, what]) => document.querySelector(where as string)?.textContent === what,
    [selector, text],
    { timeout: 5_000 },
  )
}

function fingerprintIn(page: Page): Promise<string | null | undefined> {
  return page.evaluate(() => document.querySelector('#access-token')?.textContent)
}

describe('the browser-tabs example in three tabs', () => {
  it('signs every tab in and out together, and refreshes once for a burst in every tab', async () => {
    const context = await browser.newContext({ viewport: { width: 860, height: 560 } })
    const errors: string[] = []
    const tabs = await Promise.all(
      [1, 2, 3].map(async () => {
        const page = await context.newPage()
        page.on('pageerror', (error) => errors.push(error.message))
        await page.goto(`${server.origin}/`)
        await shows(page, '#session', 'signed out')
        return page
      }),
    )
    const [first, second, third] = tabs as [Page, Page, Page]

    await first.click('#sign-in')
    for (const tab of tabs) await shows(tab, '#session', 'signed in')

    await second.click('#expire')
    await Promise.all(tabs.map((tab) => tab.click('#call')))
    for (const tab of tabs) {
      await tab.waitForFunction(() =>
        document.querySelector('#log')?.textContent?.includes('5 API calls'),
      )
    }
    const logs = await Promise.all(
      tabs.map((tab) => tab.evaluate(() => document.querySelector('#log')?.textContent)),
    )
    for (const log of logs) expect(log).toContain('5 API calls: 200 200 200 200 200')
    expect(server.simulator.stats.refreshCalls).toBe(1)
    expect(server.simulator.stats.reusedRefreshTokens).toBe(0)
    const { refreshCalls, apiRequests } = server.simulator.stats
    await third.waitForFunction(
      (expected) => document.querySelector('#provider')?.textContent === expected,
      `${refreshCalls} token requests · 0 reused refresh tokens · ${apiRequests.length} API requests`,
    )
    const fingerprints = await Promise.all(tabs.map(fingerprintIn))
    expect(new Set(fingerprints).size).toBe(1)

    await third.screenshot({
      path: process.env.TOKENFLIGHT_UPDATE_SCREENSHOT
        ? committedScreenshot
        : join(tmpdir(), 'browser-tabs-example.png'),
    })

    await third.click('#sign-out')
    for (const tab of tabs) await shows(tab, '#session', 'signed out')
    expect(errors).toEqual([])
    await context.close()
  })
})
