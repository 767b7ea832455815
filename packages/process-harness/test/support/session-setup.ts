import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createClient } from '@redis/client'
import type { TokenStore } from '@tokenflight/core'
import { fileTokenStore } from '@tokenflight/oauth2/node'
import { redisTokenStore } from '@tokenflight/redis'
import { type RedisServer, startRedisServer } from '@tokenflight/redis-server'
import {
  type OAuthSimulatorServer,
  type ServeOAuthSimulatorOptions,
  serveOAuthSimulator,
} from '@tokenflight/testing/node'
import { afterAll, afterEach, beforeAll } from 'vitest'
import {
  type SessionWorkers,
  startSessionWorkers,
  type WorkerOptions,
  type WorkerStore,
} from '../../src/index.js'

/**
 * The lifetime the refreshers are told, short so that a run of a few seconds goes through ten expiries. The provider
 * accepts each token ten times as long: on a loaded machine (2 cores, many processes) a request, or a wait for the
 * lock, can take a second, and a call sent with a token that the refresher holds as valid must not fail for that. Rotation and reuse detection are the provider's,
 * as they are: a refresh token used twice still revokes the session, and every later call fails.
 */
export const accessTokenLifetimeMs = 400
export const providerTokenLifetimeMs = 10 * accessTokenLifetimeMs

/** The first tokens of a session, as a sign-in gives them, with the lifetime the refreshers are told. */
export function signIn(provider: OAuthSimulatorServer) {
  return { ...provider.simulator.signIn(), expiresAt: Date.now() + accessTokenLifetimeMs }
}

export type StoreKind = 'file' | 'redis'

/** One shared session per test: a provider, a store the workers share, and what it takes to clean up. */
export interface SessionSetup {
  provider: OAuthSimulatorServer
  store: WorkerStore
  /** The same store, opened in the test process. */
  open(): TokenStore
  start(count: number, options?: Partial<WorkerOptions>): Promise<SessionWorkers>
}

let redis: RedisServer | undefined
let redisClient: ReturnType<typeof createClient> | undefined
let cleanups: (() => Promise<void> | void)[] = []
let sessions = 0

/** Starts redis-server once for the file's tests, when `kinds` has Redis. */
export function useSessionSetup(kinds: readonly StoreKind[]): {
  setup(
    kind: StoreKind,
    options?: { provider?: ServeOAuthSimulatorOptions; leaseMs?: number },
  ): Promise<SessionSetup>
  redis(): RedisServer
} {
  beforeAll(async () => {
    if (!kinds.includes('redis')) return
    redis = await startRedisServer()
    redisClient = createClient({
      url: redis.url,
      socket: { reconnectStrategy: (retries) => Math.min(50 * 2 ** retries, 200) },
    })
    redisClient.on('error', () => {})
    await redisClient.connect()
  }, 20_000)
  afterAll(async () => {
    redisClient?.destroy()
    await redis?.close()
  })
  afterEach(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup()
    cleanups = []
  })

  return {
    redis: () => {
      if (redis === undefined) throw new Error('No redis-server in this file')
      return redis
    },
    setup: async (kind, { provider: providerOptions, leaseMs } = {}) => {
      const provider = await serveOAuthSimulator({
        reuseDetection: true,
        accessTokenLifetimeMs: providerTokenLifetimeMs,
        ...providerOptions,
      })
      cleanups.push(() => provider.close())
      let store: WorkerStore
      let open: () => TokenStore
      if (kind === 'file') {
        const directory = await mkdtemp(join(tmpdir(), 'tokenflight-processes-'))
        cleanups.push(() => rm(directory, { recursive: true, force: true }))
        const path = join(directory, 'tokens.json')
        store = { kind: 'file', path, ...(leaseMs === undefined ? {} : { lockStaleMs: leaseMs }) }
        open = () => fileTokenStore(path)
      } else {
        if (redis === undefined || redisClient === undefined) throw new Error('No redis-server')
        const key = `processes:${++sessions}:tokens`
        const client = redisClient
        store = {
          kind: 'redis',
          url: redis.url,
          key,
          ...(leaseMs === undefined ? {} : { lockLeaseMs: leaseMs }),
        }
        open = () => redisTokenStore({ client, key })
      }
      return {
        provider,
        store,
        open,
        start: async (count, options = {}) => {
          const workers = await startSessionWorkers(count, {
            store,
            tokenUrl: provider.simulator.tokenUrl,
            apiUrl: provider.simulator.apiUrl,
            grant: 'refresh-token',
            callers: 3,
            pauseMs: 50,
            tokenLifetimeMs: accessTokenLifetimeMs,
            ...options,
          })
          cleanups.push(() => workers.kill())
          return workers
        },
      }
    },
  }
}
