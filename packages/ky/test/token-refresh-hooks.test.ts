import { startSignedIn, useNodeNetwork } from '@tokenflight/adapter-contract/node'
import { createTokenRefresher } from '@tokenflight/core'
import type { OAuthSimulator } from '@tokenflight/testing'
import ky2 from 'ky'
import ky1 from 'ky1'
import { describe, expect, it, vi } from 'vitest'
import { tokenRefreshHooks } from '../src/index.js'

// What is particular to ky: its two hook conventions, its retries and its `fetch` option.
// The behaviours shared with the other adapters are in contract.test.ts.
const network = useNodeNetwork()

function start(): { simulator: OAuthSimulator; hooks: ReturnType<typeof tokenRefreshHooks> } {
  const { simulator, refresher } = startSignedIn(network)
  return { simulator, hooks: tokenRefreshHooks(refresher) }
}

const majors = [
  { major: 1, ky: ky1 },
  { major: 2, ky: ky2 },
] as const

describe('tokenRefreshHooks', () => {
  for (const { major, ky } of majors) {
    describe(`with ky ${major}`, () => {
      describe('when the replay gets a 503 and one retry is allowed', () => {
        it('retries it, because the replay used none of the retry budget', async () => {
          const { simulator, hooks } = start()
          const api = ky.create({ hooks, retry: { limit: 1, delay: () => 0 } })
          simulator.expireAccessTokens()
          simulator.failApiRequests(503)

          const response = await api(`${simulator.apiUrl}/me`)

          expect(response.status).toBe(200)
          expect(simulator.stats.apiRequests.map((request) => request.status)).toEqual([
            401, 503, 200,
          ])
        })
      })

      describe("when another request refreshed the token between two of ky's attempts", () => {
        it('sends the retry with the new token, not the one the first attempt carried', async () => {
          const { simulator, refresher } = startSignedIn(network)
          const firstToken = refresher.getTokens()?.accessToken
          const api = ky.create({ hooks: tokenRefreshHooks(refresher) }).extend({
            retry: { limit: 1, delay: () => 0 },
            hooks: {
              beforeRetry: [
                async () => {
                  await refresher.refresh()
                },
              ],
            },
          })
          simulator.failApiRequests(503)

          const response = await api(`${simulator.apiUrl}/me`)

          expect(response.status).toBe(200)
          expect(simulator.stats.apiRequests.map((request) => request.accessToken)).toEqual([
            firstToken,
            refresher.getTokens()?.accessToken,
          ])
          expect(simulator.stats.unauthorizedResponses).toBe(0)
        })
      })

      describe('when the replay gets a 503 and retries are off', () => {
        it("hands ky's HTTPError for the 503 to the caller", async () => {
          const { simulator, hooks } = start()
          const api = ky.create({ hooks, retry: 0 })
          simulator.expireAccessTokens()
          simulator.failApiRequests(503)

          await expect(api(`${simulator.apiUrl}/me`)).rejects.toMatchObject({
            name: 'HTTPError',
            response: { status: 503 },
          })
        })
      })

      describe('when ky has a fetch option', () => {
        it('sends the replay through it as well', async () => {
          const { simulator, hooks } = start()
          const customFetch = vi.fn((input: Request | URL | string, init?: RequestInit) =>
            fetch(input, init),
          )
          const api = ky.create({ hooks, fetch: customFetch })
          simulator.expireAccessTokens()

          const response = await api(`${simulator.apiUrl}/me`)

          expect(response.status).toBe(200)
          expect(customFetch).toHaveBeenCalledTimes(2)
        })
      })

      describe("when the refresh after a 401 fails and the caller's shouldRetry retries every error", () => {
        it("fails at once with core's typed error, without a retry or its back-off", async () => {
          const refresher = createTokenRefresher({
            initialTokens: { accessToken: 'a', refreshToken: 'r' },
            refresh: async () => {
              throw new Error('token endpoint down')
            },
          })
          const send = vi.fn(async () => new Response(null, { status: 401 }))
          const delay = vi.fn(() => 0)
          const api = ky.create({
            hooks: tokenRefreshHooks(refresher),
            retry: { limit: 2, shouldRetry: () => true, delay },
            fetch: send,
          })

          const error = await api('https://api.example.test/me').catch((caught: unknown) => caught)

          expect((error as Error).name).toBe('RefreshFailedError')
          expect(send).toHaveBeenCalledTimes(1)
          expect(delay).not.toHaveBeenCalled()
        })
      })

      describe('when a custom isUnauthorized starts reading the body', () => {
        it('reads a copy, so the caller still gets the body', async () => {
          const { simulator, refresher } = startSignedIn(network)
          const api = ky.create({
            hooks: tokenRefreshHooks(refresher, {
              isUnauthorized: (response) => {
                response.text().catch(() => {})
                return response.status === 401
              },
            }),
          })

          const body = await api(`${simulator.apiUrl}/me`).json<{ method: string }>()

          expect(body.method).toBe('GET')
        })
      })
    })
  }

  describe("with ky 2 and the caller's own init and afterResponse hooks", () => {
    it('runs them on every call, and answers the 401 without an afterResponse hook of its own', async () => {
      const { simulator, hooks } = start()
      const inits = vi.fn()
      const statuses: number[] = []
      const api = ky2.create({ hooks }).extend({
        hooks: {
          init: [inits],
          afterResponse: [
            ({ response }) => {
              statuses.push(response.status)
            },
          ],
        },
      })
      simulator.expireAccessTokens()

      const first = await api(`${simulator.apiUrl}/me`)
      const second = await api(`${simulator.apiUrl}/me`)

      expect([first.status, second.status]).toEqual([200, 200])
      expect(inits).toHaveBeenCalledTimes(2)
      // The 401 was answered inside ky's fetch: ky's afterResponse hooks see only the replay's response.
      expect(statuses).toEqual([200, 200])
      expect(simulator.stats.refreshCalls).toBe(1)
    })
  })

  describe('with ky 2, when the refresh after a 401 fails', () => {
    it('cancels the unread 401 body, which would otherwise hold its connection', async () => {
      let cancelled = false
      const unauthorized = () =>
        new Response(
          new ReadableStream({
            cancel: () => {
              cancelled = true
            },
          }),
          { status: 401 },
        )
      const refresher = createTokenRefresher({
        initialTokens: { accessToken: 'a', refreshToken: 'r' },
        refresh: async () => {
          throw new Error('token endpoint down')
        },
      })
      const api = ky2.create({
        hooks: tokenRefreshHooks(refresher),
        retry: 0,
        fetch: async () => unauthorized(),
      })

      const error = await api('https://api.example.test/me').catch((caught: unknown) => caught)

      expect((error as Error).name).toBe('RefreshFailedError')
      expect(cancelled).toBe(true)
    })
  })

  describe("with ky 2, when the replay outlasts ky's timeout", () => {
    it("fails with ky's TimeoutError, since the replay runs under it", async () => {
      const { simulator, hooks } = start()
      const api = ky2.create({ hooks, timeout: 300, retry: 0 })
      simulator.expireAccessTokens()
      // The first request goes on to its 401; the replay, the next request, is held past the timeout.
      const first = simulator.holdApiRequests(1)

      const outcome = api(`${simulator.apiUrl}/me`).catch((error: unknown) => error)
      await first.arrived
      first.release()
      const replay = simulator.holdApiRequests(1)
      const error = await outcome
      replay.release()

      expect((error as Error).name).toBe('TimeoutError')
      expect(simulator.stats.refreshCalls).toBe(1)
    })
  })
})
