import type { TokenRefresher } from '@tokenflight/core'
import { withTokenRefresh } from '@tokenflight/fetch'
import wretch from 'wretch'

export function createApi(refresher: TokenRefresher) {
  return wretch('https://api.example.com').fetchPolyfill(
    withTokenRefresh(fetch, refresher, { origins: ['https://api.example.com'] }),
  )
}
