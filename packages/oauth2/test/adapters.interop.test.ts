import { attachTokenRefresh } from '@tokenflight/axios'
import {
  createTokenRefresher,
  type RefreshFunction,
  type TokenRefreshEvent,
  type TokenRefresher,
} from '@tokenflight/core'
import { withTokenRefresh } from '@tokenflight/fetch'
import { tokenRefreshHooks } from '@tokenflight/ky'
import axios, { isAxiosError } from 'axios'
import ky from 'ky'
import { describe, expect, it } from 'vitest'
import { refreshTokenGrant } from '../src/index.js'
import { approveAs, signInThroughBrowser, tokensOf } from './support/browser-sign-in.js'
import { useSharedClock } from './support/clock.js'
import { clients, useLocalProvider } from './support/oidc-provider.js'
import { useProtectedApi } from './support/protected-api.js'

// Each adapter, in front of an API that checks tokens with oidc-provider, through several access token expiries
// with eight concurrent requests each: one refresh (with rotation) per expiry, and no request fails.

const accessTokenTtlMs = 10_000
const local = useLocalProvider({ accessTokenTtl: accessTokenTtlMs / 1000 })
const api = useProtectedApi(local)
const clock = useSharedClock()

/** Sends a POST with a JSON body through an adapter and returns the status and the body the API received. */
type Send = (url: string, body: string) => Promise<{ status: number; received?: string }>

const adapters: Record<string, (refresher: TokenRefresher) => Send> = {
  fetch: (refresher) => {
    const apiFetch = withTokenRefresh(fetch, refresher)
    return async (url, body) => {
      const response = await apiFetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      })
      const { body: received } = (await response.json()) as { body?: string }
      return { status: response.status, ...(received === undefined ? {} : { received }) }
    }
  },
  axios: (refresher) => {
    const instance = axios.create()
    attachTokenRefresh(instance, refresher)
    return async (url, body) => {
      try {
        const response = await instance.post(url, JSON.parse(body))
        return { status: response.status, received: response.data.body }
      } catch (error) {
        if (isAxiosError(error) && error.response) return { status: error.response.status }
        throw error
      }
    }
  },
  ky: (refresher) => {
    const client = ky.create({
      hooks: tokenRefreshHooks(refresher),
      retry: 0,
      throwHttpErrors: false,
    })
    return async (url, body) => {
      const response = await client.post(url, { json: JSON.parse(body) })
      const { body: received } = (await response.json()) as { body?: string }
      return { status: response.status, ...(received === undefined ? {} : { received }) }
    }
  },
}

// With the expiry known, callers wait for a refresh before sending; without it (a provider that sends no
// `expires_in`), every request goes out with the expired token and the adapter answers the 401s.
const expiryModes = {
  'with the expiry known': (refresh: RefreshFunction): RefreshFunction => refresh,
  'with no expiry given':
    (refresh: RefreshFunction): RefreshFunction =>
    async (context) => {
      const { expiresAt: _expiresAt, ...tokens } = await refresh(context)
      return tokens
    },
}

describe.each(Object.entries(adapters))('through @tokenflight/%s', (_name, adapt) => {
  it.each(Object.entries(expiryModes))(
    'refreshes once per expiry %s, with rotation, and no request fails',
    async (mode, withMode) => {
      const tokens = tokensOf(
        await signInThroughBrowser(
          { issuer: local.issuer, clientId: clients.cli, scope: 'openid offline_access' },
          approveAs('alice'),
        ),
      )
      clock.start()
      const events: TokenRefreshEvent[] = []
      const { expiresAt: _expiresAt, ...withoutExpiry } = tokens
      const refresher = createTokenRefresher({
        initialTokens: mode === 'with no expiry given' ? withoutExpiry : tokens,
        refresh: withMode(refreshTokenGrant({ issuer: local.issuer, clientId: clients.cli })),
        onEvent: (event) => events.push(event),
      })
      const send = adapt(refresher)
      const refreshesBefore = local.grants.succeeded.get('refresh_token') ?? 0
      const failuresBefore = local.grants.failed.get('refresh_token') ?? 0
      for (let expiry = 1; expiry <= 3; expiry++) {
        clock.advance(accessTokenTtlMs + 1_000)
        const bodies = Array.from({ length: 8 }, (_, index) =>
          JSON.stringify({ expiry, request: index }),
        )
        const rejectedBefore = api.answered.get(401) ?? 0
        const results = await Promise.all(bodies.map((body) => send(api.url, body)))
        expect(results).toEqual(bodies.map((body) => ({ status: 200, received: body })))
        // Known expiry: nobody sends an expired token. Unknown: the 401s are what drives the refresh.
        const rejected = (api.answered.get(401) ?? 0) - rejectedBefore
        if (mode === 'with the expiry known') expect(rejected).toBe(0)
        else expect(rejected).toBeGreaterThan(0)
        expect((local.grants.succeeded.get('refresh_token') ?? 0) - refreshesBefore).toBe(expiry)
      }
      expect(local.grants.failed.get('refresh_token') ?? 0).toBe(failuresBefore)
      const refreshes = events.filter((event) => event.type === 'refresh-succeeded')
      expect(refreshes).toHaveLength(3)
      expect(refreshes.every((event) => event.refreshTokenRotated)).toBe(true)
      expect(events.filter((event) => event.type === 'refresh-failed')).toEqual([])
    },
  )
})
