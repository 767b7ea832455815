import type { TokenSet } from '@tokenflight/core'
import { type SignInWithLoopbackOptions, signInWithLoopback } from '../../src/node/index.js'
import { type Page, ScriptedBrowser, type ScriptedBrowserOptions } from './scripted-browser.js'

/** What a person does in the browser once the sign-in opens it. */
export type BrowserScript = (browser: ScriptedBrowser, authorizationUrl: string) => Promise<Page>

/** Logs in at oidc-provider's dev login page and approves the consent page. */
export function approveAs(account: string): BrowserScript {
  return async (browser, url) => {
    const login = await browser.visit(url)
    const consent = await browser.submitForm(login, { login: account, password: 'any password' })
    return browser.submitForm(consent)
  }
}

/** Logs in, then cancels on the consent page. */
export const denyConsent: BrowserScript = async (browser, url) => {
  const login = await browser.visit(url)
  const consent = await browser.submitForm(login, { login: 'alice', password: 'any password' })
  return browser.clickLink(consent, 'Cancel')
}

/** A provider that approves at once (oauth2-mock-server): the redirect lands on the callback directly. */
export const followRedirects: BrowserScript = (browser, url) => browser.visit(url)

export interface BrowserSignIn {
  result: PromiseSettledResult<TokenSet>
  /** The page the browser ended on: the callback server's answer. */
  lastPage: Page | undefined
  browser: ScriptedBrowser
  /** What the sign-in printed for the user. */
  log: string[]
}

/** Runs `signInWithLoopback` with a scripted browser standing in for the system browser. */
export async function signInThroughBrowser(
  options: Omit<SignInWithLoopbackOptions, 'openBrowser'>,
  script: BrowserScript,
  browserOptions: ScriptedBrowserOptions = {},
): Promise<BrowserSignIn> {
  const browser = new ScriptedBrowser(browserOptions)
  const log: string[] = []
  let run: Promise<Page> | undefined
  const [result] = await Promise.allSettled([
    signInWithLoopback({
      log: (line) => log.push(line),
      timeoutMs: 10_000,
      ...options,
      openBrowser: (url) => {
        run = script(browser, url)
      },
    }),
  ])
  return { result, lastPage: await run, browser, log }
}

/** The tokens of a sign-in that succeeded; fails the test with the reason otherwise. */
export function tokensOf(signIn: BrowserSignIn): TokenSet {
  if (signIn.result.status === 'rejected') throw signIn.result.reason
  return signIn.result.value
}

/** The error a sign-in that failed rejected with. */
export function errorOf(signIn: BrowserSignIn): unknown {
  if (signIn.result.status === 'fulfilled') throw new Error('Expected the sign-in to fail')
  return signIn.result.reason
}
