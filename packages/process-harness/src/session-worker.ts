// A child process of the harness: one refresher on the shared store, `callers` loops calling the API through
// @tokenflight/fetch until the parent's deadline, then one report. Run by `startSessionWorkers`.
import { setTimeout as sleep } from 'node:timers/promises'
import { createClient } from '@redis/client'
import {
  createTokenRefresher,
  type RefreshFunction,
  type TokenSet,
  type TokenStore,
} from '@tokenflight/core'
import { withTokenRefresh } from '@tokenflight/fetch'
import { clientCredentialsGrant, refreshTokenGrant } from '@tokenflight/oauth2'
import { fileTokenStore } from '@tokenflight/oauth2/node'
import { redisTokenStore } from '@tokenflight/redis'
import { fingerprint } from './fingerprint.js'
import {
  type ParentMessage,
  type WorkerMessage,
  type WorkerOptions,
  type WorkerReport,
  workerOptionsVariable,
} from './worker-protocol.js'

const options = JSON.parse(process.env[workerOptionsVariable] ?? '{}') as WorkerOptions
const report: WorkerReport = {
  pid: process.pid,
  calls: 0,
  failedCalls: 0,
  lastOkCallAt: 0,
  failures: {},
  failedAt: [],
  sessionExpired: 0,
  storeFailures: {},
  tokenRequests: [],
  tokenResponses: [],
  lockWaitsMs: [],
  callsMs: [],
}

function send(message: WorkerMessage): Promise<void> {
  return new Promise((resolve) => process.send?.(message, () => resolve()))
}

async function openStore(): Promise<TokenStore> {
  const { store } = options
  switch (store.kind) {
    case 'file':
      return measureLock(
        fileTokenStore(
          store.path,
          store.lockStaleMs === undefined ? {} : { lockStaleMs: store.lockStaleMs },
        ),
      )
    case 'file-without-lock': {
      const file = fileTokenStore(store.path)
      return { get: () => file.get(), set: (tokens) => file.set(tokens), clear: () => file.clear() }
    }
    case 'redis': {
      // Reconnects quickly, so that a Redis restart in a test is over in well under a second.
      const client = createClient({
        url: store.url,
        socket: { reconnectStrategy: (retries) => Math.min(50 * 2 ** retries, 200) },
      })
      client.on('error', () => {})
      await client.connect()
      return measureLock(
        redisTokenStore({
          client,
          key: store.key,
          ...(store.lockLeaseMs === undefined ? {} : { lockLeaseMs: store.lockLeaseMs }),
        }),
      )
    }
  }
}

// Records how long each lock call waited before its critical section ran.
function measureLock(store: Required<TokenStore>): TokenStore {
  return {
    get: () => store.get(),
    set: (tokens) => store.set(tokens),
    clear: () => store.clear(),
    ...(options.subscribe === false
      ? {}
      : {
          subscribe: (listener: Parameters<typeof store.subscribe>[0]) => store.subscribe(listener),
        }),
    lock: (critical, lockOptions) => {
      const calledAt = performance.now()
      return store.lock(() => {
        report.lockWaitsMs.push(performance.now() - calledAt)
        return critical()
      }, lockOptions)
    },
  }
}

function recorded(refresh: RefreshFunction): RefreshFunction {
  const { tokenLifetimeMs } = options
  return async (context) => {
    const request = {
      pid: process.pid,
      at: Date.now(),
      replacedExpiresAt: context.tokens?.expiresAt,
    }
    report.tokenRequests.push(request)
    void send({ type: 'token-request', request })
    const tokens = await refresh(context)
    const response = {
      pid: process.pid,
      at: Date.now(),
      accessTokenFingerprint: fingerprint(tokens.accessToken),
    }
    report.tokenResponses.push(response)
    void send({ type: 'token-response', response })
    return tokenLifetimeMs === undefined
      ? tokens
      : { ...tokens, expiresAt: Date.now() + tokenLifetimeMs }
  }
}

function definedOnly(values: Record<string, number | undefined>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(values).filter(([, value]) => value !== undefined),
  ) as Record<string, number>
}

function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return typeof error
  const { code } = error as { code?: unknown }
  const cause = error.cause as { name?: unknown; reason?: unknown } | undefined
  const causeText =
    cause !== undefined && typeof cause.name === 'string'
      ? ` (${cause.name}${typeof cause.reason === 'string' ? ` ${cause.reason}` : ''})`
      : ''
  return `${error.name}${typeof code === 'string' ? ` ${code}` : ''}${causeText}`
}

function fail(failure: string): void {
  report.failedCalls++
  report.failures[failure] = (report.failures[failure] ?? 0) + 1
  report.failedAt.push({ at: Date.now(), failure })
}

const endpoint = { tokenEndpoint: options.tokenUrl, clientId: 'process-harness' }
const store = await openStore()
const refresher = createTokenRefresher({
  store,
  refresh: recorded(
    options.grant === 'refresh-token'
      ? refreshTokenGrant(endpoint)
      : clientCredentialsGrant({ ...endpoint, clientSecret: 'process-harness-secret' }),
  ),
  ...definedOnly({
    refreshTimeoutMs: options.refreshTimeoutMs,
    refreshBackoffMs: options.refreshBackoffMs,
    maxRefreshBackoffMs: options.maxRefreshBackoffMs,
  }),
  onEvent: (event) => {
    if (event.type === 'session-expired') report.sessionExpired++
    if (event.type === 'store-failed') {
      const { name, reason } = event.error as { name?: string; reason?: string }
      const what = reason ?? name ?? 'unknown'
      report.storeFailures[what] = (report.storeFailures[what] ?? 0) + 1
    }
  },
})
const api = withTokenRefresh(fetch, refresher)

let until = 0

async function callUntilStopped(): Promise<void> {
  while (Date.now() < until) {
    const startedAt = performance.now()
    report.calls++
    try {
      const response = await api(`${options.apiUrl}/items`)
      await response.arrayBuffer()
      if (response.ok) report.lastOkCallAt = Date.now()
      else fail(`HTTP ${response.status}`)
    } catch (error) {
      fail(describeFailure(error))
    }
    report.callsMs.push(performance.now() - startedAt)
    await sleep(options.pauseMs)
  }
}

process.on('message', async (message: ParentMessage) => {
  if (message.type === 'stop') until = 0
  if (message.type !== 'start') return
  until = message.until
  await Promise.all(Array.from({ length: options.callers }, () => callUntilStopped()))
  await send({ type: 'report', report })
  // The store's subscription and the Redis client would keep the process alive.
  process.exit(0)
})

// The tokens the parent stored are read before the parent starts the load.
const loaded: TokenSet | undefined = await store.get()
if (loaded === undefined)
  throw new Error('The parent stores the first tokens before it starts workers')
await send({ type: 'ready' })
