import { describeReadmeExample } from '@tokenflight/adapter-contract/node'
import { createApi } from './readme-example.js'

describeReadmeExample({
  readme: new URL('../README.md', import.meta.url),
  example: new URL('./readme-example.ts', import.meta.url),
  createCall: (tokens) => {
    const api = createApi(tokens)
    return async () => (await api.get('/me')).status
  },
})
