// One tab of the example: a refresher on the shared browser store, and the fetch adapter.
import { browserTokenStore } from '@tokenflight/browser'
import { createTokenRefresher, parseTokenResponse, SessionExpiredError } from '@tokenflight/core'
import { withTokenRefresh } from '@tokenflight/fetch'

const tabName = `tab ${Math.random().toString(36).slice(2, 6)}`
const store = browserTokenStore({ key: 'browser-tabs-example' })

const refresher = createTokenRefresher({
  store,
  refresh: async ({ tokens, signal }) => {
    if (tokens?.refreshToken === undefined) throw new SessionExpiredError('Sign in again')
    const response = await fetch('/oauth/token', {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: tokens.refreshToken,
      }),
      signal,
    })
    return parseTokenResponse(await response.json())
  },
  onSessionExpired: () => log('Signed out (here or in another tab): show the sign-in'),
  onEvent: (event) => {
    if (event.type === 'tokens-adopted') log('Took the tokens another tab set')
    if (event.type === 'refresh-succeeded') {
      log(
        event.adopted
          ? 'Took the tokens another tab had just refreshed: no token request'
          : `Refreshed the tokens for every tab (${event.reason})`,
      )
    }
    if (event.type === 'refresh-failed' && event.error.name !== 'SessionExpiredError') {
      log(`Refresh failed: ${event.error.name}`)
    }
    if (event.type === 'store-failed')
      log(`Store failed to ${event.operation}: ${event.error.name}`)
  },
})
const apiFetch = withTokenRefresh(fetch, refresher, { origins: [location.origin] })

document.querySelector('#tab').textContent = tabName
document.querySelector('#lock-kind').textContent = store.lockKind
document.querySelector('#sign-in').onclick = async () => {
  // Stands in for your sign-in page: the example's server hands out a fresh session.
  const response = await fetch('/demo/sign-in', { method: 'POST' })
  await refresher.setTokens(await response.json())
  log('Signed in')
}
document.querySelector('#call').onclick = async () => {
  const requests = Array.from({ length: 5 }, (_, index) => apiFetch(`/api/items/${index}`))
  const statuses = await Promise.all(
    requests.map((request) =>
      request.then(
        (r) => r.status,
        (e) => e.name,
      ),
    ),
  )
  log(`5 API calls: ${statuses.join(' ')}`)
}
document.querySelector('#expire').onclick = async () => {
  await fetch('/demo/expire', { method: 'POST' })
  log('The provider now rejects the access token')
}
document.querySelector('#sign-out').onclick = async () => {
  await refresher.clear()
  log('Signed out')
}

function log(text) {
  const item = document.createElement('li')
  item.textContent = `${new Date().toLocaleTimeString()}  ${text}`
  const list = document.querySelector('#log')
  list.prepend(item)
  while (list.children.length > 12) list.lastChild.remove()
}

// A short digest stands for the token on screen: a page should never show a token itself.
const fingerprints = new Map()
async function fingerprint(token) {
  if (!fingerprints.has(token)) {
    const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token))
    const hex = Array.from(new Uint8Array(digest).slice(0, 4), (b) =>
      b.toString(16).padStart(2, '0'),
    )
    fingerprints.set(token, hex.join(''))
  }
  return fingerprints.get(token)
}

async function render() {
  const tokens = refresher.getTokens()
  const session = document.querySelector('#session')
  session.textContent = tokens === undefined ? 'signed out' : 'signed in'
  session.className = tokens === undefined ? 'signed-out' : 'signed-in'
  document.querySelector('#access-token').textContent =
    tokens === undefined ? '—' : await fingerprint(tokens.accessToken)
  const stats = await (await fetch('/demo/stats')).json()
  document.querySelector('#provider').textContent =
    `${stats.refreshCalls} token requests · ${stats.reusedRefreshTokens} reused refresh tokens · ${stats.apiRequests} API requests`
  document.body.dataset.rendered = String(Date.now())
}

// The refresher reads the stored session, and starts hearing the other tabs, at its first call.
refresher.getAccessToken().catch(() => {})
setInterval(render, 250)
render()
