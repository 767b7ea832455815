import { exitWithError } from '@tokenflight/example-support'
import { api as axiosApi } from './axios-client.js'
import { apiFetch } from './fetch-client.js'
import { api as kyApi } from './ky-client.js'
import { provider, server } from './session.js'

// The README's quick start, run: one refresher shared by an axios instance, a ky instance and a
// wrapped fetch. Twice the provider rejects the access token early, so only a 401 tells; each time
// 30 concurrent requests (10 per client) meet it, and one refresh answers them all.

async function burst(): Promise<number> {
  const requests = Array.from({ length: 10 }, () => [
    axiosApi.get('/me').then((response) => response.status),
    kyApi.get('me').then((response) => response.status),
    apiFetch('https://api.example.com/me').then((response) => response.status),
  ]).flat()
  const statuses = await Promise.all(requests)
  return statuses.filter((status) => status === 200).length
}

async function main(): Promise<void> {
  try {
    const rounds = [await burst()]
    for (let expiry = 1; expiry <= 2; expiry++) {
      provider.expireAccessTokens()
      rounds.push(await burst())
    }
    const succeeded = rounds.reduce((sum, count) => sum + count, 0)
    const { refreshCalls, unauthorizedResponses } = provider.stats
    console.log(
      `requests: ${rounds.length * 30} through axios, ky and fetch; succeeded: ${succeeded}`,
    )
    console.log(`access tokens rejected early: 2; 401s absorbed: ${unauthorizedResponses}`)
    console.log(`refreshes: ${refreshCalls} (one per rejected token, shared by all three clients)`)
    if (succeeded !== rounds.length * 30 || refreshCalls !== 2) {
      throw new Error('Expected every request to succeed with one refresh per rejected token')
    }
  } finally {
    server.close()
  }
}

main().catch(exitWithError)
