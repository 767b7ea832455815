import type { TokenSet } from '@tokenflight/core'
import type { ServeOAuthSimulatorOptions } from '@tokenflight/testing/node'
import { type OAuthSimulatorServer, serveOAuthSimulator } from '@tokenflight/testing/node'
import { build } from 'esbuild'
import { HttpResponse, http } from 'msw'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright'
import { afterAll, afterEach, beforeAll, expect } from 'vitest'
import { chromiumArgs } from '../../../../vitest.workspace.js'
// The pages' `window.tabApp` and `window.rootReadme` types, for the tests' `page.evaluate` calls.
import type {} from '../pages/root-readme-app.js'
import type {} from '../pages/tab-app.js'

export type Adapter = 'fetch' | 'ky' | 'axios'

/** One test's browser context, its provider, and its tabs, all of one origin. */
export interface Tabs {
  readonly server: OAuthSimulatorServer
  readonly context: BrowserContext
  /** The tabs opened at the start, in order. */
  readonly pages: Page[]
  /** Opens one more tab of the app and waits until it has started. */
  open(adapter?: Adapter): Promise<Page>
  /** What every tab printed to its console, and the errors no code caught. */
  readonly console: string[]
}

export interface TabsOptions {
  tabs: number
  /** The app each tab runs: `pages/tab-app.ts` (default), or the root README's snippet in `pages/root-readme-app.ts`. */
  page?: 'tab-app' | 'root-readme-app'
  adapter?: Adapter
  simulator?: Omit<ServeOAuthSimulatorOptions, 'handlers'>
  /** Runs in each tab before the app, as `page.addInitScript` does. */
  initScript?: (() => void) | undefined
}

const pageNames = ['tab-app', 'root-readme-app'] as const

function pageHtml(name: string): string {
  return `<!doctype html><meta charset="utf-8"><title>tab</title><script type="module" src="/${name}.js"></script>`
}

/**
 * Launches Chromium once for the test file, bundles the tab app once, and gives each test fresh tabs in a fresh
 * browser context, served with the simulated provider from one loopback origin.
 */
export function useTabs(): (options: TabsOptions) => Promise<Tabs> {
  let browser: Browser
  const pageCode = new Map<string, string>()
  const opened: Array<{ context: BrowserContext; server: OAuthSimulatorServer }> = []

  beforeAll(async () => {
    const [launched, bundle] = await Promise.all([
      chromium.launch({
        executablePath: '/usr/bin/chromium',
        // Playwright turns the back/forward cache off by default; a test here needs it.
        args: chromiumArgs,
        ignoreDefaultArgs: ['--disable-back-forward-cache'],
      }),
      build({
        entryPoints: pageNames.map(
          (name) => new URL(`../pages/${name}.ts`, import.meta.url).pathname,
        ),
        outdir: 'pages',
        bundle: true,
        format: 'esm',
        platform: 'browser',
        conditions: ['@tokenflight/source'],
        write: false,
        logLevel: 'silent',
      }),
    ])
    browser = launched
    for (const file of bundle.outputFiles) {
      pageCode.set(file.path.slice(file.path.lastIndexOf('/') + 1, -'.js'.length), file.text)
    }
  })
  afterEach(async () => {
    for (const { context, server } of opened.splice(0)) {
      await context.close()
      await server.close()
    }
  })
  afterAll(async () => {
    await browser?.close()
  })

  return async ({
    tabs: count,
    page: pageName = 'tab-app',
    adapter = 'fetch',
    simulator = {},
    initScript,
  }) => {
    const server = await serveOAuthSimulator({
      reuseDetection: true,
      // Expiries come from `expireAccessTokens()`, so a token never runs out by the clock during a test.
      accessTokenLifetimeMs: 3_600_000,
      ...simulator,
      handlers: (origin) => [
        ...pageNames.map((name) =>
          http.get(`${origin}/${name}`, () => HttpResponse.html(pageHtml(name))),
        ),
        ...pageNames.map((name) =>
          http.get(`${origin}/${name}.js`, () =>
            HttpResponse.text(pageCode.get(name), {
              headers: { 'Content-Type': 'text/javascript' },
            }),
          ),
        ),
        http.get(`${origin}/elsewhere`, () => HttpResponse.html('<!doctype html><p>Another page')),
      ],
    })
    const context = await browser.newContext()
    opened.push({ context, server })
    if (initScript !== undefined) await context.addInitScript(initScript)
    const consoleLines: string[] = []
    const open = async (tabAdapter: Adapter = adapter) => {
      const page = await context.newPage()
      page.on('console', (message) => consoleLines.push(message.text()))
      page.on('pageerror', (error) => consoleLines.push(`uncaught ${error.name}: ${error.message}`))
      await page.goto(`${server.origin}/${pageName}?adapter=${tabAdapter}`)
      if (pageName === 'tab-app') {
        await page.waitForFunction(() => window.tabApp !== undefined)
        await page.evaluate(() => window.tabApp.started())
      } else {
        await page.waitForFunction(() => window.rootReadme !== undefined)
      }
      return page
    }
    const pages = await Promise.all(Array.from({ length: count }, () => open()))
    return { server, context, pages, open, console: consoleLines }
  }
}

/** Signs in in one tab, as the app would after its sign-in page, with tokens fresh from the provider. */
export async function signIn(page: Page, tokens: TokenSet): Promise<void> {
  await page.evaluate((signedIn) => window.tabApp.signIn(signedIn), tokens)
}

/** Sends `requestsPerTab` API requests at once in every tab; resolves every status, or the error a request met. */
export function burstInEveryTab(
  pages: Page[],
  requestsPerTab: number,
): Promise<Array<number | string>> {
  return Promise.all(
    pages.map((page) => page.evaluate((count) => window.tabApp.burst(count), requestsPerTab)),
  ).then((statuses) => statuses.flat())
}

/** The access token each tab's refresher holds. */
export function accessTokens(pages: Page[]): Promise<Array<string | undefined>> {
  return Promise.all(pages.map((page) => page.evaluate(() => window.tabApp.accessToken())))
}

/** An init script: the browser has no `navigator.locks`, as in an insecure context or Safari before 15.4. */
export function withoutWebLocks(): void {
  Object.defineProperty(Navigator.prototype, 'locks', { get: () => undefined, configurable: true })
}

/** An init script: the browser has no `BroadcastChannel`, as Safari before 15.4. */
export function withoutBroadcastChannel(): void {
  Reflect.deleteProperty(window, 'BroadcastChannel')
}

/** Checks that no token the provider issued appears in what the tabs printed. */
export function expectNoTokenIn(lines: string[], issued: string[]): void {
  const text = lines.join('\n')
  for (const token of issued) expect(text).not.toContain(token)
}
