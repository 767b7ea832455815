import { attachTokenRefresh } from '@tokenflight/axios'
import { createTokenRefresher, type TokenRefresher } from '@tokenflight/core'
import { withTokenRefresh } from '@tokenflight/fetch'
import { tokenRefreshHooks } from '@tokenflight/ky'
import type { OAuthSimulator } from '@tokenflight/testing'
import axios from 'axios'
import ky from 'ky'
import type { DemoClientFactory } from './demo-client.js'

function refresherFor(simulator: OAuthSimulator): TokenRefresher {
  return createTokenRefresher({
    initialTokens: simulator.signIn(),
    refresh: simulator.refresh,
    now: simulator.clock.now,
  })
}

// Every 401 a request got ended in a success, or the run fails its check on failed requests.
const absorbedBy = (simulator: OAuthSimulator) => () => simulator.stats.unauthorizedResponses

/** tokenflight's three adapters, each on the client it is for. */
export const tokenflightClients: Record<'axios' | 'ky' | 'fetch', DemoClientFactory> = {
  axios: (simulator) => {
    const api = axios.create()
    attachTokenRefresh(api, refresherFor(simulator))
    return {
      get: async (url) => {
        await api.get(url)
      },
      absorbedUnauthorized: absorbedBy(simulator),
    }
  },
  ky: (simulator) => {
    const api = ky.create({ retry: 0, hooks: tokenRefreshHooks(refresherFor(simulator)) })
    return {
      get: async (url) => {
        await api.get(url).json()
      },
      absorbedUnauthorized: absorbedBy(simulator),
    }
  },
  fetch: (simulator) => {
    const apiFetch = withTokenRefresh(fetch, refresherFor(simulator))
    return {
      get: async (url) => {
        const response = await apiFetch(url)
        if (!response.ok) throw new Error(`${url} answered ${response.status}`)
        await response.json()
      },
      absorbedUnauthorized: absorbedBy(simulator),
    }
  },
}
