import { startSignedIn, useNodeNetwork } from '@tokenflight/adapter-contract/node'
import { createOAuthSimulator } from '@tokenflight/testing'
import axios, { isAxiosError } from 'axios'
import { describe, expect, it } from 'vitest'
import { attachTokenRefresh } from '../src/index.js'

// What is particular to axios: detaching, `validateStatus`, `baseURL`, interceptor order and the typed opt-out.
// The behaviours shared with the other adapters are in contract.test.ts.
const network = useNodeNetwork()
const start = () => startSignedIn(network)

describe('attachTokenRefresh', () => {
  describe('when detached (behaviour 16)', () => {
    it('restores the instance: requests carry no token and a 401 is not answered', async () => {
      const { simulator, refresher } = start()
      const api = axios.create()
      const detach = attachTokenRefresh(api, refresher)
      await api.get(`${simulator.apiUrl}/before`)

      detach()
      const after = await api.get(`${simulator.apiUrl}/after`).catch((error: unknown) => error)

      expect(isAxiosError(after) && after.response?.status).toBe(401)
      expect(
        simulator.stats.apiRequests.map((request) => request.accessToken !== undefined),
      ).toEqual([true, false])
      expect(simulator.stats.refreshCalls).toBe(0)
    })
  })

  describe('when validateStatus accepts a 401', () => {
    it('replays it once and resolves with the replay, a second 401 included', async () => {
      const { simulator, refresher } = start()
      const api = axios.create({ validateStatus: () => true })
      attachTokenRefresh(api, refresher)
      simulator.expireAccessTokens()
      const first = await api.get(`${simulator.apiUrl}/me`)
      simulator.failApiRequests(401, { times: 3 })

      const second = await api.get(`${simulator.apiUrl}/me`)

      expect([first.status, second.status]).toEqual([200, 401])
      expect(simulator.stats.apiRequests.map((request) => request.status)).toEqual([
        401, 200, 401, 401,
      ])
      expect(simulator.stats.refreshCalls).toBe(2)
    })
  })

  describe('when the instance has a baseURL and an allow-list', () => {
    it('checks the origin of the full URL', async () => {
      const { simulator, refresher } = start()
      const api = axios.create({ baseURL: simulator.apiUrl })
      attachTokenRefresh(api, refresher, { origins: [simulator.apiUrl] })

      const response = await api.get('/me')

      expect(response.status).toBe(200)
    })

    it('sends no token with an absolute URL to another origin', async () => {
      const { simulator, refresher } = start()
      const elsewhere = createOAuthSimulator({ apiUrl: 'https://elsewhere.example.test' })
      network.use(...elsewhere.handlers)
      const api = axios.create({ baseURL: simulator.apiUrl, validateStatus: () => true })
      attachTokenRefresh(api, refresher, { origins: [simulator.apiUrl] })

      await api.get(`${elsewhere.apiUrl}/me`)

      expect(elsewhere.stats.apiRequests.map((request) => request.accessToken)).toEqual([undefined])
    })

    it('follows allowAbsoluteUrls: false, under which an absolute URL is appended to the baseURL', async () => {
      const { simulator, refresher } = start()
      const api = axios.create({ baseURL: simulator.apiUrl, allowAbsoluteUrls: false })
      attachTokenRefresh(api, refresher, { origins: [simulator.apiUrl] })

      const response = await api.get('https://elsewhere.example.test/me')

      expect(response.status).toBe(200)
      expect(simulator.stats.apiRequests[0]?.accessToken).toBeDefined()
    })
  })

  describe('when the app added its response interceptor before attaching', () => {
    it('runs it once on the 401 and once on the replayed response', async () => {
      const { simulator, refresher } = start()
      const api = axios.create()
      const seen: string[] = []
      api.interceptors.response.use(
        (response) => {
          seen.push(`response ${response.status}`)
          return response
        },
        (error: unknown) => {
          seen.push(`error ${isAxiosError(error) ? error.response?.status : 'other'}`)
          throw error
        },
      )
      attachTokenRefresh(api, refresher)
      simulator.expireAccessTokens()

      await api.get(`${simulator.apiUrl}/me`)

      expect(seen).toEqual(['error 401', 'response 200'])
    })
  })

  describe('when it is given something other than an axios instance', () => {
    it('throws a TypeError naming `instance`', () => {
      const { refresher } = start()
      expect(() => attachTokenRefresh({} as never, refresher)).toThrow(/`instance`/)
    })
  })
})
