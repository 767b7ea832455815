import type { TokenRefresher } from '@tokenflight/core'
import { withTokenRefresh } from '@tokenflight/fetch'
import { createFetch } from 'ofetch'

export function createApi(refresher: TokenRefresher) {
  return createFetch({
    fetch: withTokenRefresh(fetch, refresher, { origins: ['https://api.example.com'] }),
    defaults: { baseURL: 'https://api.example.com' },
  })
}
