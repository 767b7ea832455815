import { describeReadmeExample } from '@tokenflight/adapter-contract/node'
import { FetchError } from 'ofetch'
import { createRefresher } from './readme-example.js'
import { createApi } from './readme-ofetch.js'

describeReadmeExample({
  readme: new URL('../README.md', import.meta.url),
  example: new URL('./readme-ofetch.ts', import.meta.url),
  createCall: (tokens) => {
    const api = createApi(createRefresher(tokens))
    return async () => {
      try {
        return (await api.raw('/me')).status
      } catch (error) {
        // As the README says: a request that got no response rejects with ofetch's FetchError, whose cause is
        // core's typed error.
        throw error instanceof FetchError && error.response === undefined ? error.cause : error
      }
    }
  },
})
