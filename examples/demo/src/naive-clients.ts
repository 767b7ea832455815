import type { IssuedTokens, OAuthSimulator } from '@tokenflight/testing'
import axios, { type InternalAxiosRequestConfig } from 'axios'
import ky from 'ky'
import type { DemoClientFactory } from './demo-client.js'

/**
 * The refresh-on-401 code many apps hand-write: whoever gets a 401 refreshes with the refresh token it sees, then
 * sends its request again. Nothing makes concurrent 401s wait for one refresh.
 */
class NaiveSession {
  tokens: IssuedTokens
  absorbed = 0
  readonly #simulator: OAuthSimulator

  constructor(simulator: OAuthSimulator) {
    this.#simulator = simulator
    this.tokens = simulator.signIn()
  }

  get authorization(): string {
    return `Bearer ${this.tokens.accessToken}`
  }

  async refresh(): Promise<void> {
    const tokens = await this.#simulator.refresh({
      tokens: this.tokens,
      signal: AbortSignal.timeout(10_000),
    })
    this.tokens = { ...this.tokens, ...tokens }
  }
}

/** The same three clients with a hand-written refresh on 401, as their docs and blog posts show it. */
export const naiveClients: Record<'axios' | 'ky' | 'fetch', DemoClientFactory> = {
  axios: (simulator) => {
    const session = new NaiveSession(simulator)
    const retried = new WeakSet<InternalAxiosRequestConfig>()
    const api = axios.create()
    api.interceptors.request.use((config) => {
      config.headers.set('Authorization', session.authorization)
      return config
    })
    api.interceptors.response.use(undefined, async (error) => {
      const config = axios.isAxiosError(error) ? error.config : undefined
      if (config === undefined || error.response?.status !== 401 || retried.has(config)) throw error
      retried.add(config)
      await session.refresh()
      const response = await api(config)
      session.absorbed++
      return response
    })
    return {
      get: async (url) => {
        await api.get(url)
      },
      absorbedUnauthorized: () => session.absorbed,
    }
  },
  ky: (simulator) => {
    const session = new NaiveSession(simulator)
    const api = ky.create({
      retry: 0,
      hooks: {
        beforeRequest: [
          ({ request }) => request.headers.set('Authorization', session.authorization),
        ],
        afterResponse: [
          async ({ request, response }) => {
            if (response.status !== 401) return
            await session.refresh()
            request.headers.set('Authorization', session.authorization)
            const replayed = await ky(request, { retry: 0 })
            session.absorbed++
            return replayed
          },
        ],
      },
    })
    return {
      get: async (url) => {
        await api.get(url).json()
      },
      absorbedUnauthorized: () => session.absorbed,
    }
  },
  fetch: (simulator) => {
    const session = new NaiveSession(simulator)
    const send = (url: string) => fetch(url, { headers: { Authorization: session.authorization } })
    return {
      get: async (url) => {
        let response = await send(url)
        if (response.status === 401) {
          await session.refresh()
          response = await send(url)
          if (response.ok) session.absorbed++
        }
        if (!response.ok) throw new Error(`${url} answered ${response.status}`)
        await response.json()
      },
      absorbedUnauthorized: () => session.absorbed,
    }
  },
}
