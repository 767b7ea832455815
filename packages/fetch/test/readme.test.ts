import { describeReadmeExample } from '@tokenflight/adapter-contract/node'
import { createApiFetch } from './readme-example.js'

describeReadmeExample({
  readme: new URL('../README.md', import.meta.url),
  example: new URL('./readme-example.ts', import.meta.url),
  createCall: (tokens) => {
    const apiFetch = createApiFetch(tokens)
    return async () => (await apiFetch('https://api.example.com/me')).status
  },
})
