import { attachTokenRefresh } from '@tokenflight/axios'
import {
  createTokenRefresher,
  parseTokenResponse,
  SessionExpiredError,
  type TokenRefresher,
  type TokenSet,
} from '@tokenflight/core'
import { withTokenRefresh } from '@tokenflight/fetch'
import { tokenRefreshHooks } from '@tokenflight/ky'
import axios from 'axios'
import ky from 'ky'
import { type ContenderDefinition, type ContenderSetup, readOk, refreshGrant } from './contender.js'

/**
 * The refresher every tokenflight row uses: the refresh-token grant over fetch, parsed by core's
 * `parseTokenResponse`, with the core's defaults unless a scenario sets an option.
 */
export function createBenchRefresher(setup: ContenderSetup): TokenRefresher {
  const { tokenUrl, clientId, refresherOptions = {} } = setup
  const parseOptions = refresherOptions.now === undefined ? {} : { now: refresherOptions.now }
  const initialTokens: TokenSet = {
    accessToken: setup.accessToken,
    refreshToken: setup.refreshToken,
  }
  if (setup.expiresAt !== undefined) initialTokens.expiresAt = setup.expiresAt
  return createTokenRefresher({
    ...refresherOptions,
    initialTokens,
    refresh: async ({ tokens, signal }) => {
      if (tokens?.refreshToken === undefined) throw new SessionExpiredError('No refresh token')
      const response = await fetch(tokenUrl, {
        method: 'POST',
        body: refreshGrant(tokens.refreshToken, clientId),
        signal,
      })
      return parseTokenResponse(await response.json(), parseOptions)
    },
  })
}

const refresherNote =
  'createTokenRefresher({ initialTokens, refresh }) with core defaults; `refresh` posts the refresh-token grant with fetch and parses it with parseTokenResponse'

/** tokenflight's three adapters over one core, configured as their READMEs show (with `origins`). */
export const tokenflightContenders: ContenderDefinition[] = [
  {
    name: 'tokenflight + axios',
    packageName: '@tokenflight/axios',
    client: 'axios',
    configuration: `${refresherNote}; attachTokenRefresh(axios.create({ baseURL }), refresher, { origins: [apiOrigin] })`,
    needsKnownExpiry: false,
    create(setup) {
      const refresher = createBenchRefresher(setup)
      const instance = axios.create({ baseURL: setup.apiUrl })
      const detach = attachTokenRefresh(instance, refresher, { origins: [originOf(setup)] })
      return {
        get: async (path) => {
          await instance.get(path)
        },
        close: detach,
      }
    },
  },
  {
    name: 'tokenflight + ky',
    packageName: '@tokenflight/ky',
    client: 'ky',
    configuration: `${refresherNote}; ky.extend({ prefix: apiUrl, hooks: tokenRefreshHooks(refresher, { origins: [apiOrigin] }) })`,
    needsKnownExpiry: false,
    create(setup) {
      const refresher = createBenchRefresher(setup)
      const api = ky.extend({
        prefix: setup.apiUrl,
        hooks: tokenRefreshHooks(refresher, { origins: [originOf(setup)] }),
      })
      return {
        get: async (path) => {
          await api.get(path).json()
        },
        close: () => {},
      }
    },
  },
  {
    name: 'tokenflight + fetch',
    packageName: '@tokenflight/fetch',
    client: 'fetch',
    configuration: `${refresherNote}; withTokenRefresh(fetch, refresher, { origins: [apiOrigin] })`,
    needsKnownExpiry: false,
    create(setup) {
      const refresher = createBenchRefresher(setup)
      const authorizedFetch = withTokenRefresh(fetch, refresher, { origins: [originOf(setup)] })
      return {
        get: async (path) => readOk(await authorizedFetch(`${setup.apiUrl}${path}`)),
        close: () => {},
      }
    },
  },
]

function originOf(setup: ContenderSetup): string {
  return new URL(setup.apiUrl).origin
}
