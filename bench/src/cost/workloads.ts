import { OAuth2Client, OAuth2Fetch } from '@badgateway/oauth2-client'
import { createRefresherPool, createTokenRefresher, type TokenSet } from '@tokenflight/core'
import axios, { type AxiosAdapter } from 'axios'
import { axiosAuthRefreshContenders } from '../contenders/axios-auth-refresh.js'
import { axiosJwtContender } from '../contenders/axios-jwt.js'
import type { ContenderDefinition, ContenderSetup } from '../contenders/contender.js'
import { naiveRetryFetchContender } from '../contenders/naive-retry-fetch.js'
import { oauth2FetchContender } from '../contenders/oauth2-fetch.js'
import { rawClientBaselines } from '../contenders/raw-clients.js'
import { tokenflightContenders } from '../contenders/tokenflight.js'

/** Something whose cost per operation is measured: `run(count)` performs `count` operations one after another. */
export interface Workload {
  run(count: number): Promise<void>
}

/** What a workload's row is: a raw client (the baseline), a contender on it, or a piece of core measured alone. */
export type WorkloadRole = 'raw' | 'tokenflight' | 'peer' | 'core'

export interface WorkloadDefinition {
  /** Stable id, passed to the worker process on its command line. */
  id: string
  name: string
  role: WorkloadRole
  /** The client a request goes through; undefined for core rows, which send nothing. */
  client?: 'fetch' | 'axios' | 'ky'
  create(): Workload
}

const hourMs = 3_600_000
// Nothing listens here: every transport is a stub that answers at once.
const stubOrigin = 'http://127.0.0.1:9'

/** A JWT with an `exp`, as axios-jwt needs to see that the token is fresh; its signature is never checked. */
function unsignedJwt(expiresAt: number): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
  return `${part({ alg: 'none', typ: 'JWT' })}.${part({ sub: 'bench-user', exp: Math.floor(expiresAt / 1000) })}.bench`
}

function freshSetup(): ContenderSetup {
  const expiresAt = Date.now() + hourMs
  return {
    tokenUrl: `${stubOrigin}/token`,
    apiUrl: `${stubOrigin}/api`,
    clientId: 'bench-client',
    accessToken: unsignedJwt(expiresAt),
    refreshToken: 'bench-refresh-token',
    expiresAt,
    accessTokenLifetimeMs: hourMs,
  }
}

// 204, no body: reading one through undici's streams costs about 20 µs, several times the rest of a stub request,
// and its noise would hide the few hundred nanoseconds a contender adds.
const noContent: typeof fetch = async () => new Response(null, { status: 204 })
// ky's `.json()` parses even an empty body, so ky's rows get one to parse; ky costs more than the read anyway.
const jsonBody: typeof fetch = async () =>
  new Response('{"ok":true}', { status: 200, headers: { 'content-type': 'application/json' } })

const stubAxiosAdapter: AxiosAdapter = async (config) => ({
  data: '',
  status: 200,
  statusText: 'OK',
  headers: {},
  config,
  request: {},
})

/**
 * Replaces the network under every client of this process: `fetch` (which ky, OAuth2Fetch and the fetch contenders
 * call) and axios' default adapter (which every instance created afterwards inherits) answer at once. The
 * contenders are then created by the very code the loopback scenarios use.
 */
export function installStubTransports(definition: WorkloadDefinition): void {
  globalThis.fetch = definition.client === 'ky' ? jsonBody : noContent
  axios.defaults.adapter = stubAxiosAdapter
}

function requestWorkload(definition: ContenderDefinition): () => Workload {
  return () => {
    const contender = definition.create(freshSetup())
    return {
      run: async (count) => {
        for (let index = 0; index < count; index++) await contender.get('/items/1')
      },
    }
  }
}

function contenderRow(definition: ContenderDefinition, role: WorkloadRole): WorkloadDefinition {
  return {
    id: definition.name.replace(/[^a-z0-9]+/gi, '-').toLowerCase(),
    name: definition.name,
    role,
    client: definition.client,
    create: requestWorkload(definition),
  }
}

const mustNotRefresh = async (): Promise<TokenSet> => {
  throw new Error('The hot path must not refresh')
}

export const poolSessions = 10_000

/** Each client's raw row first, then tokenflight's row on it, then the peers on it. */
export const requestWorkloads: WorkloadDefinition[] = [
  contenderRow(rawClientBaselines.fetch, 'raw'),
  contenderRow(tokenflightContenders[2] as ContenderDefinition, 'tokenflight'),
  contenderRow(oauth2FetchContender, 'peer'),
  contenderRow(naiveRetryFetchContender, 'peer'),
  contenderRow(rawClientBaselines.axios, 'raw'),
  contenderRow(tokenflightContenders[0] as ContenderDefinition, 'tokenflight'),
  contenderRow(axiosAuthRefreshContenders[0] as ContenderDefinition, 'peer'),
  contenderRow(axiosJwtContender, 'peer'),
  contenderRow(rawClientBaselines.ky, 'raw'),
  contenderRow(tokenflightContenders[1] as ContenderDefinition, 'tokenflight'),
]

/** Core alone, without a client: the awaited token on the hot path, and the pool's `get(key)` before it. */
export const coreWorkloads: WorkloadDefinition[] = [
  {
    id: 'core-get-access-token',
    name: 'tokenflight core: `await refresher.getAccessToken()`',
    role: 'core',
    create() {
      const token = 'hot-path-access-token'
      const refresher = createTokenRefresher({
        initialTokens: { accessToken: token, expiresAt: Date.now() + hourMs },
        refresh: mustNotRefresh,
      })
      return {
        run: async (count) => {
          for (let index = 0; index < count; index++) {
            if ((await refresher.getAccessToken()) !== token) throw new Error('Unexpected token')
          }
        },
      }
    },
  },
  {
    id: 'oauth2fetch-get-access-token',
    name: 'OAuth2Fetch: `await wrapper.getAccessToken()` (peer reference)',
    role: 'peer',
    create() {
      const token = 'hot-path-access-token'
      const wrapper = new OAuth2Fetch({
        client: new OAuth2Client({
          clientId: 'bench-client',
          tokenEndpoint: `${stubOrigin}/token`,
        }),
        getNewToken: () => null,
        getStoredToken: () => ({
          accessToken: token,
          refreshToken: null,
          expiresAt: Date.now() + hourMs,
        }),
      })
      return {
        run: async (count) => {
          for (let index = 0; index < count; index++) {
            if ((await wrapper.getAccessToken()) !== token) throw new Error('Unexpected token')
          }
        },
      }
    },
  },
  {
    id: 'pool-get-access-token',
    name: `tokenflight pool: \`await sessions.get(key).getAccessToken()\`, ${poolSessions.toLocaleString('en')} sessions, string keys`,
    role: 'core',
    create() {
      const keys = Array.from({ length: poolSessions }, (_, index) => `user-${index}`)
      const pool = createRefresherPool<string>({
        refresh: mustNotRefresh,
        initialTokens: (key) => ({
          accessToken: `token-of-${key}`,
          expiresAt: Date.now() + hourMs,
        }),
      })
      let next = 0
      return {
        run: async (count) => {
          for (let index = 0; index < count; index++) {
            await pool.get(keys[next] as string).getAccessToken()
            next = next + 1 === poolSessions ? 0 : next + 1
          }
        },
      }
    },
  },
  {
    id: 'floor-await',
    name: 'floor: `await Promise.resolve(token)`',
    role: 'core',
    create() {
      const token = 'hot-path-access-token'
      return {
        run: async (count) => {
          for (let index = 0; index < count; index++) {
            if ((await Promise.resolve(token)) !== token) throw new Error('Unexpected token')
          }
        },
      }
    },
  },
]

export const allWorkloads: WorkloadDefinition[] = [...requestWorkloads, ...coreWorkloads]
