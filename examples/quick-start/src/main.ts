import { api as axiosApi } from './axios-client.js'
import { apiFetch } from './fetch-client.js'
import { api as kyApi } from './ky-client.js'

// The quick start's three clients share one refresher. Three times, ten requests through each client start at
// once: however many of them meet an expired or rejected token, one refresh serves all thirty.

for (let round = 1; round <= 3; round++) {
  const requests = Array.from({ length: 10 }, () => [
    axiosApi.get('/me').then((response) => response.status),
    kyApi.get('me').then((response) => response.status),
    apiFetch('https://api.example.com/me').then((response) => response.status),
  ]).flat()
  const statuses = await Promise.all(requests)
  const succeeded = statuses.filter((status) => status === 200).length
  console.log(
    `round ${round}: ${succeeded} of ${statuses.length} requests through axios, ky and fetch succeeded`,
  )
}
