import { OAuth2Client, OAuth2Fetch, type OAuth2Token } from '@badgateway/oauth2-client'
import { type ContenderDefinition, readOk } from './contender.js'

/** @badgateway/oauth2-client's fetch wrapper, set up as its README shows for a session started elsewhere. */
export const oauth2FetchContender: ContenderDefinition = {
  name: 'OAuth2Fetch (@badgateway/oauth2-client)',
  packageName: '@badgateway/oauth2-client',
  client: 'fetch',
  configuration:
    "new OAuth2Fetch({ client: new OAuth2Client({ server, tokenEndpoint: '/token', clientId }), getStoredToken, storeToken, getNewToken: () => null }) (null: a user session cannot be minted without the user); scheduleRefresh left at its default",
  needsKnownExpiry: false,
  create(setup) {
    const origin = new URL(setup.tokenUrl).origin
    let stored: OAuth2Token = {
      accessToken: setup.accessToken,
      refreshToken: setup.refreshToken,
      expiresAt: setup.expiresAt ?? null,
    }
    const client = new OAuth2Client({
      server: origin,
      tokenEndpoint: '/token',
      clientId: setup.clientId,
    })
    const wrapper = new OAuth2Fetch({
      client,
      getNewToken: () => null,
      getStoredToken: () => stored,
      storeToken: (token) => {
        stored = token
      },
    })
    return {
      get: async (path) => readOk(await wrapper.fetch(`${setup.apiUrl}${path}`)),
      close: () => {},
    }
  },
}
