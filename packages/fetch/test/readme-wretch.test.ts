import { describeReadmeExample } from '@tokenflight/adapter-contract/node'
import { createRefresher } from './readme-example.js'
import { createApi } from './readme-wretch.js'

describeReadmeExample({
  readme: new URL('../README.md', import.meta.url),
  example: new URL('./readme-wretch.ts', import.meta.url),
  createCall: (tokens) => {
    const api = createApi(createRefresher(tokens))
    return async () => (await api.get('/me').res()).status
  },
})
