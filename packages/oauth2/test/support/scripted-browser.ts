/**
 * A browser stand-in for sign-in tests: follows redirects, keeps cookies, submits forms and follows links, as a
 * person clicking through a provider's login and consent pages would.
 */
export interface Page {
  url: string
  status: number
  html: string
}

export interface ScriptedBrowserOptions {
  /** Lets a test rewrite a redirect before it is followed, e.g. to tamper with the callback's `state`. */
  beforeRedirect?: (location: URL) => URL
}

export class ScriptedBrowser {
  // Keyed by origin, path and name, as a browser keeps them.
  readonly #cookies = new Map<string, { value: string; path: string }>()
  readonly #beforeRedirect: (location: URL) => URL
  /** Every URL the browser requested, in order. */
  readonly visited: string[] = []

  constructor(options: ScriptedBrowserOptions = {}) {
    this.#beforeRedirect = options.beforeRedirect ?? ((location) => location)
  }

  visit(url: string): Promise<Page> {
    return this.#navigate(url, { method: 'GET' })
  }

  /** Submits the page's first form with its hidden fields plus `fields`. */
  submitForm(page: Page, fields: Record<string, string> = {}): Promise<Page> {
    const form = /<form\b([^>]*)>([\s\S]*?)<\/form>/i.exec(page.html)
    if (form === null) throw new Error(`No form on ${page.url}:\n${page.html.slice(0, 500)}`)
    const attributes = form[1] ?? ''
    const action = decode(/\baction="([^"]*)"/i.exec(attributes)?.[1] ?? page.url)
    const method = (/\bmethod="([^"]*)"/i.exec(attributes)?.[1] ?? 'get').toUpperCase()
    const body = new URLSearchParams()
    for (const input of (form[2] ?? '').matchAll(/<input\b([^>]*)>/gi)) {
      const name = /\bname="([^"]*)"/i.exec(input[1] ?? '')?.[1]
      const value = /\bvalue="([^"]*)"/i.exec(input[1] ?? '')?.[1]
      if (name !== undefined && value !== undefined) body.set(decode(name), decode(value))
    }
    for (const [name, value] of Object.entries(fields)) body.set(name, value)
    const target = new URL(action, page.url).href
    return method === 'POST'
      ? this.#navigate(target, { method, body })
      : this.#navigate(`${target}?${body}`, { method: 'GET' })
  }

  /** Follows the link whose text contains `text`. */
  clickLink(page: Page, text: string): Promise<Page> {
    for (const link of page.html.matchAll(/<a\b[^>]*\bhref="([^"]*)"[^>]*>([\s\S]*?)<\/a>/gi)) {
      if ((link[2] ?? '').includes(text)) {
        return this.visit(new URL(decode(link[1] ?? ''), page.url).href)
      }
    }
    throw new Error(`No link with text ${JSON.stringify(text)} on ${page.url}`)
  }

  async #navigate(url: string, init: { method: string; body?: URLSearchParams }): Promise<Page> {
    let current = url
    let request = init
    for (let hop = 0; hop < 20; hop++) {
      this.visited.push(current)
      const headers = new Headers()
      const cookie = this.#cookieHeader(new URL(current))
      if (cookie !== '') headers.set('cookie', cookie)
      const response = await fetch(current, { ...request, headers, redirect: 'manual' })
      this.#storeCookies(response, new URL(current))
      const location = response.headers.get('location')
      if (response.status >= 300 && response.status < 400 && location !== null) {
        await response.body?.cancel()
        current = this.#beforeRedirect(new URL(location, current)).href
        request = { method: 'GET' }
        continue
      }
      return { url: current, status: response.status, html: await response.text() }
    }
    throw new Error(`Too many redirects from ${url}`)
  }

  #cookieHeader(url: URL): string {
    const pairs: string[] = []
    for (const [key, { value, path }] of this.#cookies) {
      const [origin, , name] = key.split('\n')
      if (origin === url.origin && url.pathname.startsWith(path)) pairs.push(`${name}=${value}`)
    }
    return pairs.join('; ')
  }

  #storeCookies(response: Response, url: URL): void {
    for (const header of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = header.split(';')
      const separator = pair.indexOf('=')
      const name = pair.slice(0, separator).trim()
      const value = pair.slice(separator + 1).trim()
      const path =
        attributes
          .map((attribute) => attribute.trim())
          .find((attribute) => attribute.toLowerCase().startsWith('path='))
          ?.slice(5) ?? '/'
      const expired = attributes.some((attribute) =>
        /expires=thu, 01 jan 1970/i.test(attribute.trim()),
      )
      const key = `${url.origin}\n${path}\n${name}`
      if (expired || value === '') this.#cookies.delete(key)
      else this.#cookies.set(key, { value, path })
    }
  }
}

function decode(text: string): string {
  return text
    .replaceAll('&amp;', '&')
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replace(/&#x([0-9a-f]+);/gi, (_match, hex: string) =>
      String.fromCodePoint(Number.parseInt(hex, 16)),
    )
    .replace(/&#(\d+);/g, (_match, code: string) => String.fromCodePoint(Number(code)))
}
