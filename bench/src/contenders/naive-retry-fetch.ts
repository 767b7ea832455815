import { type ContenderDefinition, readOk, refreshGrant } from './contender.js'

/** The wrapper many apps write by hand: on a 401, refresh with the stored refresh token and retry once. */
export const naiveRetryFetchContender: ContenderDefinition = {
  name: 'naive retry-on-401 fetch wrapper',
  packageName: '(hand-written)',
  client: 'fetch',
  configuration:
    'about 15 lines: send with the stored token; on 401 post the refresh grant, store the answer, retry once; no dedup, no expiry check',
  needsKnownExpiry: false,
  create(setup) {
    let tokens = { accessToken: setup.accessToken, refreshToken: setup.refreshToken }
    const send = (url: string) =>
      fetch(url, { headers: { Authorization: `Bearer ${tokens.accessToken}` } })
    const naiveFetch = async (url: string): Promise<Response> => {
      const response = await send(url)
      if (response.status !== 401) return response
      await response.body?.cancel()
      const refreshed = await fetch(setup.tokenUrl, {
        method: 'POST',
        body: refreshGrant(tokens.refreshToken, setup.clientId),
      })
      if (!refreshed.ok) throw new Error(`Refresh failed with HTTP ${refreshed.status}`)
      const body = (await refreshed.json()) as { access_token: string; refresh_token?: string }
      tokens = {
        accessToken: body.access_token,
        refreshToken: body.refresh_token ?? tokens.refreshToken,
      }
      return send(url)
    }
    return {
      get: async (path) => readOk(await naiveFetch(`${setup.apiUrl}${path}`)),
      close: () => {},
    }
  },
}
