import { setTimeout as sleep } from 'node:timers/promises'
import { inspect } from 'node:util'
import {
  createTokenRefresher,
  RefreshFailedError,
  TokenflightError,
  type TokenSet,
} from '@tokenflight/core'
import { freePort, type RedisServer, startRedisServer } from '@tokenflight/redis-server'
import { describeSharedTokenStore } from '@tokenflight/store-contract'
import { createClient } from 'redis'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { type RedisTokenStore, RedisTokenStoreError, redisTokenStore } from '../src/index.js'

let server: RedisServer
let client: ReturnType<typeof createClient>
let key: string
let keys = 0

beforeAll(async () => {
  server = await startRedisServer()
  client = createClient({ url: server.url })
  client.on('error', () => {})
  await client.connect()
}, 20_000)
afterAll(async () => {
  client.destroy()
  await server.close()
})
beforeEach(() => {
  key = `test:${++keys}:tokens`
})
afterEach(() => {
  vi.restoreAllMocks()
})

const first: TokenSet = { accessToken: 'first-access-secret', refreshToken: 'first-refresh-secret' }
const second: TokenSet = {
  accessToken: 'second-access-secret',
  refreshToken: 'second-refresh-secret',
  expiresAt: 1_800_000_000_000,
}
const signal = () => new AbortController().signal
const store = (options: { lockLeaseMs?: number } = {}) =>
  redisTokenStore({ client, key, ...options })

function deferred<T = void>() {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((done) => {
    resolve = done
  })
  return { promise, resolve }
}

describe('reading and writing', () => {
  it('holds no tokens until some are set, then reads them back through another store', async () => {
    expect(await store().get()).toBeUndefined()
    await store().set(second)
    expect(await store().get()).toEqual(second)
    expect(JSON.parse(String(await client.get(key)))).toEqual(second)
    await store().clear()
    expect(await store().get()).toBeUndefined()
    expect(await client.exists(key)).toBe(0)
  })

  it('rejects a value that is not JSON with an error naming the key, never the value', async () => {
    await client.set(key, '{"accessToken": "torn-secret')
    const error = await store()
      .get()
      .catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(RedisTokenStoreError)
    expect(error).toBeInstanceOf(TokenflightError)
    expect(error).toMatchObject({
      name: 'RedisTokenStoreError',
      code: 'REDIS_TOKEN_STORE_ERROR',
      reason: 'corrupt',
      key,
    })
    expect((error as Error).message).toBe(
      `The value at Redis key ${key} is not JSON, so not a token set`,
    )
    expect(inspect(error, { depth: 10 })).not.toContain('torn-secret')
    expect(JSON.stringify(error)).not.toContain('torn-secret')
  })

  it('rejects JSON that is not a token set', async () => {
    await client.set(key, JSON.stringify({ access_token: 'wire-format-secret' }))
    const error = await store()
      .get()
      .catch((caught: unknown) => caught)
    expect(error).toMatchObject({ reason: 'corrupt', key })
    expect((error as Error).message).toBe(
      `The value at Redis key ${key} is not a token set (no \`accessToken\`)`,
    )
    expect(inspect(error, { depth: 10 })).not.toContain('wire-format-secret')
  })

  it('passes on what Redis refuses, naming the key', async () => {
    await client.lPush(key, 'a list, not a string')
    const error = await store()
      .get()
      .catch((caught: unknown) => caught)
    expect(error).toMatchObject({ reason: 'command-failed', key })
    expect((error as Error).message).toMatch(
      new RegExp(`^Redis refused a command on the tokens at key ${key}: WRONGTYPE`),
    )
  })

  it('rejects tokens that cannot be written as JSON, naming the key', async () => {
    const error = await store()
      .set({ accessToken: 'unwritable-secret', expiresAt: 1n as never })
      .catch((caught: unknown) => caught)
    expect(error).toMatchObject({ reason: 'command-failed', key })
    expect(inspect(error, { depth: 10 })).not.toContain('unwritable-secret')
  })
})

describe('when Redis cannot be reached', () => {
  it('fails at once with a typed error while the client is not connected, instead of queueing', async () => {
    const port = await freePort()
    const refused = createClient({ url: `redis://127.0.0.1:${port}` })
    refused.on('error', () => {})
    const connecting = refused.connect().catch((error: unknown) => error)
    const unreachable = redisTokenStore({ client: refused, key })
    for (const operation of [
      () => unreachable.get(),
      () => unreachable.set(first),
      () => unreachable.clear(),
      () => unreachable.lock(async () => {}, { signal: signal() }),
    ]) {
      const error = await operation().catch((caught: unknown) => caught)
      expect(error).toBeInstanceOf(RedisTokenStoreError)
      expect(error).toMatchObject({ reason: 'unavailable', key })
      expect((error as Error).message).toBe(
        `Could not reach Redis for the tokens at key ${key}: the client is not connected`,
      )
    }
    refused.destroy()
    await connecting
  })
})

describeSharedTokenStore('redisTokenStore', () => {
  const lockKey = `${key}:lock`
  return {
    createStore: ({ leaseMs } = {}) =>
      redisTokenStore({ client, key, ...(leaseMs === undefined ? {} : { lockLeaseMs: leaseMs }) }),
    leaveDeadLock: async (leaseMs) => {
      await client.set(lockKey, 'a process that died', { PX: leaseMs })
    },
    // What a lease that ran out looks like to the others: no lock.
    expireLock: async () => {
      await client.del(lockKey)
    },
    isLockFree: async () => (await client.exists(lockKey)) === 0,
    subscribed: (count) => subscribers(count),
    lockLost: {
      errorClass: RedisTokenStoreError,
      leaseOption: 'lockLeaseMs',
      defaultLeaseMs: 10_000,
    },
  }
})

async function subscribers(count: number): Promise<void> {
  await vi.waitFor(async () => {
    const [, listening] = (await client.sendCommand(['PUBSUB', 'NUMSUB', `${key}:changes`])) as [
      string,
      number,
    ]
    expect(listening).toBe(count)
  })
}

describe('redisTokenStore: the lock', () => {
  it('names the key in the lock-lost error', async () => {
    const [stalled, peer] = [store(), store()]
    const outcome = await stalled
      .lock(
        async () => {
          await client.del(`${key}:lock`)
          await peer.lock(() => peer.set(second), { signal: signal() })
          await stalled.set({ accessToken: 'stale-access-secret' })
        },
        { signal: signal() },
      )
      .catch((error: unknown) => error)
    expect(outcome).toMatchObject({ name: 'RedisTokenStoreError', reason: 'lock-lost', key })
    expect((outcome as Error).message).toBe(
      `Refused to write the tokens at Redis key ${key}: this store's lock lease (\`lockLeaseMs\`, 10000 ms) ran out and another holder took the lock`,
    )
  })

  it("leaves a newer holder's lock alone when a stale holder lets go", async () => {
    const [stalled, peer] = [store(), store()]
    const peerHolds = deferred()
    const peerLeaves = deferred()
    let peerHolding: Promise<void> | undefined
    await stalled.lock(
      async () => {
        await client.del(`${key}:lock`)
        peerHolding = peer.lock(
          async () => {
            peerHolds.resolve()
            await peerLeaves.promise
          },
          { signal: signal() },
        )
        await peerHolds.promise
      },
      { signal: signal() },
    )
    expect(await client.exists(`${key}:lock`)).toBe(1)
    peerLeaves.resolve()
    await peerHolding
    expect(await client.exists(`${key}:lock`)).toBe(0)
  })
})

describe('redisTokenStore: subscribe', () => {
  function collect(each: RedisTokenStore) {
    const received: (TokenSet | undefined)[] = []
    const unsubscribe = each.subscribe((tokens) => received.push(tokens))
    return { received, unsubscribe }
  }

  it('ignores a message of another shape with a warning that does not quote it, and goes on', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const { received, unsubscribe } = collect(store())
    await subscribers(1)
    await client.publish(`${key}:changes`, 'hello')
    await client.publish(`${key}:changes`, JSON.stringify({ source: 'x', tokens: { a: 'secret' } }))
    await store().set(first)
    await vi.waitFor(() => expect(received).toEqual([first]), { timeout: 1_000 })
    expect(warn).toHaveBeenCalledTimes(2)
    expect(warn).toHaveBeenCalledWith(
      `tokenflight: ignored a message on the Redis channel ${key}:changes that is not a token store notification`,
    )
    expect(inspect(warn.mock.calls)).not.toContain('secret')
    unsubscribe()
  })

  it('closes its subscriber connection when its client is closed', async () => {
    const own = createClient({ url: server.url })
    await own.connect()
    const unsubscribe = redisTokenStore({ client: own, key }).subscribe(() => {})
    await subscribers(1)
    own.destroy()
    await subscribers(0)
    unsubscribe()
  })

  it('catches up with a write made before it listened, against what it had read', async () => {
    const listener = store()
    await store().set(first)
    expect(await listener.get()).toEqual(first)
    const { received, unsubscribe } = collect(listener)
    // Written before the subscription is active: no message reaches it, the read after subscribing does.
    await client.set(key, JSON.stringify(second))
    await vi.waitFor(() => expect(received).toEqual([second]), { timeout: 1_000 })
    unsubscribe()
  })

  it('catches up after its connection drops, without taking a lost key for a sign-out', async () => {
    const { received, unsubscribe } = collect(store())
    await subscribers(1)
    await store().set(first)
    await vi.waitFor(() => expect(received).toEqual([first]), { timeout: 1_000 })
    // Written while the subscriber is cut off: the notification is lost, the key is read on reconnection.
    await client.sendCommand(['CLIENT', 'KILL', 'TYPE', 'pubsub'])
    await client.set(key, JSON.stringify(second))
    await vi.waitFor(() => expect(received).toEqual([first, second]), { timeout: 2_000 })
    await client.sendCommand(['CLIENT', 'KILL', 'TYPE', 'pubsub'])
    await client.del(key)
    await subscribers(1)
    await sleep(100)
    expect(received).toEqual([first, second])
    unsubscribe()
  })
})

describe('bad options', () => {
  it('names the option', () => {
    expect(() => redisTokenStore(undefined as never)).toThrow(
      new TypeError('Expected `options` to be an object with `client` and `key`'),
    )
    expect(() => redisTokenStore({ client: {} as never, key })).toThrow(
      new TypeError(
        'Expected `client` to be a node-redis client, from `createClient()` of the `redis` package',
      ),
    )
    expect(() => redisTokenStore({ client, key: '' })).toThrow(
      new TypeError('Expected `key` to be a non-empty string'),
    )
    expect(() => redisTokenStore({ client, key, lockLeaseMs: 10 })).toThrow(
      new TypeError('Expected `lockLeaseMs` to be a number of milliseconds, at least 30'),
    )
    expect(() => redisTokenStore({ client, key, leaseMs: 10 } as never)).toThrow(
      new TypeError('Unknown option `leaseMs`'),
    )
  })
})

describe('redisTokenStore: bad input through a refresher', () => {
  it('fails calls with a typed error while the key holds no token set, calls no token endpoint, and goes on once it does', async () => {
    const refresh = vi.fn(async () => second)
    await client.set(key, 'not json with a secret-token')
    const refresher = createTokenRefresher({ store: store(), refresh, onEvent: () => {} })
    const error = await refresher.getAccessToken().catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(RefreshFailedError)
    expect((error as Error).cause).toMatchObject({
      name: 'RedisTokenStoreError',
      reason: 'corrupt',
    })
    expect(inspect(error, { depth: 10 })).not.toContain('secret-token')
    expect(refresh).not.toHaveBeenCalled()
    expect(await client.get(key)).toBe('not json with a secret-token')

    await store().set({ ...first, expiresAt: Date.now() + 3_600_000 })
    expect(await refresher.getAccessToken()).toBe(first.accessToken)
  })

  it('fails calls as transient while Redis refuses connections, and keeps the tokens it holds', async () => {
    const port = await freePort()
    const refused = createClient({ url: `redis://127.0.0.1:${port}` })
    refused.on('error', () => {})
    const connecting = refused.connect().catch(() => {})
    const refresh = vi.fn(async () => second)
    const refresher = createTokenRefresher({
      store: redisTokenStore({ client: refused, key }),
      refresh,
      onEvent: () => {},
    })
    await refresher.setTokens({ ...first, expiresAt: Date.now() - 1 }).catch(() => {})
    const error = await refresher.getAccessToken().catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(RefreshFailedError)
    expect((error as Error).cause).toMatchObject({ reason: 'unavailable' })
    expect(refresh).not.toHaveBeenCalled()
    expect(refresher.getTokens()?.refreshToken).toBe(first.refreshToken)
    refused.destroy()
    await connecting
  })
})
