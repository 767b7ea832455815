import axios from 'axios'
import ky from 'ky'
import { type ContenderDefinition, readOk } from './contender.js'

/** The clients with a static `Authorization` header and nothing else: the baselines of the overhead ratio. */
export const rawClientBaselines: Record<'axios' | 'ky' | 'fetch', ContenderDefinition> = {
  axios: {
    name: 'raw axios',
    packageName: 'axios',
    client: 'axios',
    configuration: "axios.create({ baseURL, headers: { Authorization: 'Bearer …' } })",
    needsKnownExpiry: false,
    create(setup) {
      const instance = axios.create({
        baseURL: setup.apiUrl,
        headers: { Authorization: `Bearer ${setup.accessToken}` },
      })
      return {
        get: async (path) => {
          await instance.get(path)
        },
        close: () => {},
      }
    },
  },
  ky: {
    name: 'raw ky',
    packageName: 'ky',
    client: 'ky',
    configuration: "ky.extend({ prefix: apiUrl, headers: { Authorization: 'Bearer …' } })",
    needsKnownExpiry: false,
    create(setup) {
      const api = ky.extend({
        prefix: setup.apiUrl,
        headers: { Authorization: `Bearer ${setup.accessToken}` },
      })
      return {
        get: async (path) => {
          await api.get(path).json()
        },
        close: () => {},
      }
    },
  },
  fetch: {
    name: 'raw fetch',
    packageName: '(Node fetch)',
    client: 'fetch',
    configuration: "fetch(url, { headers: { Authorization: 'Bearer …' } })",
    needsKnownExpiry: false,
    create(setup) {
      const headers = { Authorization: `Bearer ${setup.accessToken}` }
      return {
        get: async (path) => readOk(await fetch(`${setup.apiUrl}${path}`, { headers })),
        close: () => {},
      }
    },
  },
}
