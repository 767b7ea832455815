import { describeReadmeExample } from '@tokenflight/adapter-contract/node'
import { createRefresher } from './readme-example.js'
import { createApi } from './readme-openapi-fetch.js'

describeReadmeExample({
  readme: new URL('../README.md', import.meta.url),
  example: new URL('./readme-openapi-fetch.ts', import.meta.url),
  createCall: (tokens) => {
    const api = createApi(createRefresher(tokens))
    return async () => (await api.GET('/me')).response.status
  },
})
