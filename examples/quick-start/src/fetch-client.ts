import { withTokenRefresh } from '@tokenflight/fetch'
import { refresher } from './refresher.js'

export const apiFetch = withTokenRefresh(fetch, refresher, {
  origins: ['https://api.example.com'],
})
