import { randomUUID } from 'node:crypto'
import type { TokenSet, TokenStore } from '@tokenflight/core'
import { createLockQueue, lockSignalOf, runUnderLease } from '@tokenflight/core/store'
import { extendScript, releaseScript, writeScript } from './redis-scripts.js'
import { RedisTokenStoreError } from './redis-token-store-error.js'
import { sleep } from './waiting.js'

/**
 * What the store needs of a node-redis 5 client (`createClient()` of the `redis` package, connected): commands,
 * whether it is connected, and a duplicate for the subscriber connection.
 */
export interface RedisClientLike {
  readonly isReady: boolean
  readonly isOpen: boolean
  sendCommand(args: readonly string[]): Promise<unknown>
  duplicate(): RedisSubscriberLike
  on(event: string, listener: (...args: unknown[]) => void): unknown
  off(event: string, listener: (...args: unknown[]) => void): unknown
}

/** The subscriber connection the store makes with `client.duplicate()`. */
export interface RedisSubscriberLike {
  readonly isReady: boolean
  connect(): Promise<unknown>
  subscribe(channel: string, listener: (message: string) => void): Promise<unknown>
  destroy(): void
  unref(): void
  on(event: string, listener: (...args: unknown[]) => void): unknown
}

/** Options of {@link redisTokenStore}. */
export interface RedisTokenStoreOptions {
  /** A connected node-redis 5 client; the store never closes it. */
  client: RedisClientLike
  /** The key of the token set. The lock is `<key>:lock`, notifications go to the channel `<key>:changes`. */
  key: string
  /**
   * Milliseconds a lock lasts unless its holder renews it (every third of this, while it refreshes): how long the
   * others wait for a holder that died or stalled. Default 10 000.
   */
  lockLeaseMs?: number
}

/** The `TokenStore` of {@link redisTokenStore}: each method returns a promise, and it has `lock` and `subscribe`. */
export interface RedisTokenStore extends TokenStore {
  get(): Promise<TokenSet | undefined>
  set(tokens: TokenSet): Promise<void>
  clear(): Promise<void>
  lock<T>(critical: () => Promise<T>, options: { signal: AbortSignal }): Promise<T>
  subscribe(listener: (tokens: TokenSet | undefined) => void): () => void
}

interface Holding {
  owner: string
  lost: boolean
  renewal: ReturnType<typeof setInterval>
}

const knownOptions = new Set(['client', 'key', 'lockLeaseMs'])
const firstRetryMs = 2
const maxRetryMs = 20

/**
 * A token store in Redis, for many processes and machines that share one session: a lock in Redis lets one of
 * them refresh at a time, every write made under it is fenced (it goes through only while the lease is still its
 * own), and pub/sub tells each of the tokens another one wrote or cleared.
 *
 * @example
 * const client = await createClient({ url: process.env.REDIS_URL }).connect()
 * const refresher = createTokenRefresher({
 *   store: redisTokenStore({ client, key: 'billing-api:tokens' }),
 *   refresh: clientCredentialsGrant({ issuer, clientId, clientSecret }),
 * })
 */
export function redisTokenStore(options: RedisTokenStoreOptions): RedisTokenStore {
  const { client, key, lockLeaseMs } = checkOptions(options)
  const lockKey = `${key}:lock`
  const channel = `${key}:changes`
  // Tells this store's own notifications from the others'.
  const source = randomUUID()
  const listeners = new Set<(tokens: TokenSet | undefined) => void>()
  let subscriber: RedisSubscriberLike | undefined
  // Calls of one store queue here first, so that Redis only arbitrates between stores.
  const queue = createLockQueue()
  let holding: Holding | undefined
  // The stored value this store last read, wrote or heard of, to tell whether a catch-up read found news.
  let known: string | null | undefined

  async function command(args: string[]): Promise<unknown> {
    // A disconnected node-redis client queues commands until it reconnects; a refresh must fail over instead.
    if (!client.isReady) {
      throw new RedisTokenStoreError(
        `Could not reach Redis for the tokens at key ${key}: the client is not connected`,
        { key, reason: 'unavailable' },
      )
    }
    try {
      return await client.sendCommand(args)
    } catch (error) {
      if (isErrorReply(error)) {
        throw new RedisTokenStoreError(
          `Redis refused a command on the tokens at key ${key}: ${error.message}`,
          { key, reason: 'command-failed', cause: error },
        )
      }
      throw new RedisTokenStoreError(
        `Could not reach Redis for the tokens at key ${key}: ${(error as Error).message}`,
        { key, reason: 'unavailable', cause: error },
      )
    }
  }

  async function write(value: string | null): Promise<void> {
    const fencedBy = holding
    if (fencedBy?.lost) throw lockLost()
    const notification = `{"source":${JSON.stringify(source)},"tokens":${value ?? 'null'}}`
    const written = await command([
      'EVAL',
      writeScript,
      '2',
      key,
      lockKey,
      value ?? '',
      fencedBy?.owner ?? '',
      channel,
      notification,
    ])
    if (written !== 1) {
      if (fencedBy !== undefined) stopRenewing(fencedBy)
      throw lockLost()
    }
    known = value
  }

  function lockLost(): RedisTokenStoreError {
    return new RedisTokenStoreError(
      `Refused to write the tokens at Redis key ${key}: this store's lock lease (\`lockLeaseMs\`, ${lockLeaseMs} ms) ran out and another holder took the lock`,
      { key, reason: 'lock-lost' },
    )
  }

  async function acquire(signal: AbortSignal): Promise<Holding> {
    const owner = randomUUID()
    let retryMs = firstRetryMs
    for (;;) {
      signal.throwIfAborted()
      // Not aborted midway: a SET that went through unseen would hold the lock for a whole lease.
      const granted = await command(['SET', lockKey, owner, 'NX', 'PX', String(lockLeaseMs)])
      if (granted !== null) {
        const acquired: Holding = {
          owner,
          lost: false,
          renewal: setInterval(() => void renew(acquired), lockLeaseMs / 3),
        }
        acquired.renewal.unref()
        if (signal.aborted) {
          await release(acquired)
          throw signal.reason
        }
        return acquired
      }
      await sleep(retryMs * (0.5 + Math.random() / 2), signal)
      retryMs = Math.min(maxRetryMs, retryMs * 1.5)
    }
  }

  async function renew(current: Holding): Promise<void> {
    if (current.lost) return
    try {
      const renewed = await command([
        'EVAL',
        extendScript,
        '1',
        lockKey,
        current.owner,
        String(lockLeaseMs),
      ])
      if (renewed !== 1) stopRenewing(current)
    } catch {
      // Redis is unreachable for now: the next renewal tries again, and the lease runs out if it stays away.
    }
  }

  function stopRenewing(current: Holding): void {
    current.lost = true
    clearInterval(current.renewal)
  }

  async function release(current: Holding): Promise<void> {
    clearInterval(current.renewal)
    if (current.lost) return
    // A failed release is no harm: the lease runs out.
    await command(['EVAL', releaseScript, '1', lockKey, current.owner]).catch(() => {})
  }

  function deliver(tokens: TokenSet | undefined): void {
    for (const listener of listeners) {
      try {
        listener(tokens)
      } catch (error) {
        console.error('tokenflight: a Redis token store listener threw', error)
      }
    }
  }

  function onMessage(message: string): void {
    const notification = readNotification(message)
    if (notification === undefined) {
      console.warn(
        `tokenflight: ignored a message on the Redis channel ${channel} that is not a token store notification`,
      )
      return
    }
    if (notification.source === source) return
    known = notification.tokens === null ? null : JSON.stringify(notification.tokens)
    deliver(notification.tokens ?? undefined)
  }

  // Once subscribed, and again after each reconnection, the key is read to catch up with writes whose message this
  // store missed (made before it listened, or while it was cut off). A missing key is not reported as a sign-out,
  // which only a notification says: Redis may have restarted without its data.
  async function catchUp(connection: RedisSubscriberLike): Promise<void> {
    let value: string | null
    try {
      value = await readValue()
    } catch {
      return
    }
    const previous = known
    if (subscriber !== connection || value === null || value === previous) return
    known = value
    if (previous === undefined) return
    try {
      deliver(parseTokenSet(key, value))
    } catch (error) {
      console.warn(`tokenflight: ${(error as Error).message}`)
    }
  }

  async function readValue(): Promise<string | null> {
    const value = await command(['GET', key])
    if (value === null) return null
    return typeof value === 'string' ? value : String(value)
  }

  function startSubscriber(): RedisSubscriberLike {
    const connection = client.duplicate()
    // Listening is a background concern: it never keeps a process alive, and ends with the client.
    connection.unref()
    client.on('end', onClientEnd)
    connection.on('error', () => {
      // node-redis reports each failed reconnection here and keeps trying; without a listener it would crash.
    })
    let subscribedOnce = false
    // node-redis subscribes again by itself after a reconnection.
    connection.on('ready', () => {
      if (subscribedOnce) void catchUp(connection)
    })
    connection
      .connect()
      .then(() => connection.subscribe(channel, onMessage))
      .then(() => {
        subscribedOnce = true
        return catchUp(connection)
      })
      .catch((error: unknown) => {
        if (subscriber !== connection) return
        console.warn(
          `tokenflight: could not subscribe to the Redis channel ${channel}; changes by other processes are seen at their next refresh only`,
          error,
        )
      })
    return connection
  }

  // Closing the client closes the subscriber with it.
  function onClientEnd(): void {
    if (!client.isOpen) stopSubscriber()
  }

  function stopSubscriber(): void {
    const connection = subscriber
    subscriber = undefined
    client.off('end', onClientEnd)
    try {
      connection?.destroy()
    } catch {
      // Closed already.
    }
  }

  return {
    get: async () => {
      const value = await readValue()
      // What this store has read needs no notification.
      known = value
      return value === null ? undefined : parseTokenSet(key, value)
    },
    set: async (tokens) => {
      let value: string
      try {
        value = JSON.stringify(tokens)
      } catch (error) {
        // JSON.stringify names the offending type or property, never a value.
        throw new RedisTokenStoreError(
          `Could not write the tokens at Redis key ${key}: they cannot be written as JSON`,
          { key, reason: 'command-failed', cause: error },
        )
      }
      await write(value)
    },
    clear: () => write(null),
    lock: async (critical, lockOptions) => {
      const signal = lockSignalOf(critical, lockOptions)
      return queue(async () => {
        holding = await acquire(signal)
        const current = holding
        return runUnderLease(critical, {
          signal,
          leaseMs: lockLeaseMs,
          stopRenewing: () => clearInterval(current.renewal),
          release: () => {
            holding = undefined
            return release(current)
          },
        })
      }, signal)
    },
    subscribe: (listener) => {
      if (typeof listener !== 'function')
        throw new TypeError('Expected `listener` to be a function')
      listeners.add(listener)
      subscriber ??= startSubscriber()
      return () => {
        listeners.delete(listener)
        if (listeners.size === 0) stopSubscriber()
      }
    },
  }
}

function checkOptions(options: RedisTokenStoreOptions): Required<RedisTokenStoreOptions> {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('Expected `options` to be an object with `client` and `key`')
  }
  for (const name of Object.keys(options)) {
    if (!knownOptions.has(name)) throw new TypeError(`Unknown option \`${name}\``)
  }
  const { client, key, lockLeaseMs = 10_000 } = options
  if (
    typeof client !== 'object' ||
    client === null ||
    typeof client.sendCommand !== 'function' ||
    typeof client.duplicate !== 'function' ||
    typeof client.on !== 'function'
  ) {
    throw new TypeError(
      'Expected `client` to be a node-redis client, from `createClient()` of the `redis` package',
    )
  }
  if (typeof key !== 'string' || key === '') {
    throw new TypeError('Expected `key` to be a non-empty string')
  }
  // setTimeout fires at once for longer delays.
  if (typeof lockLeaseMs !== 'number' || !(lockLeaseMs >= 30) || lockLeaseMs > 2_147_483_647) {
    throw new TypeError('Expected `lockLeaseMs` to be a number of milliseconds, at least 30')
  }
  return { client, key, lockLeaseMs }
}

function parseTokenSet(key: string, value: string): TokenSet {
  let parsed: unknown
  try {
    parsed = JSON.parse(value)
  } catch {
    // No cause: a JSON parse error quotes the text around the fault, and that text may be a token.
    throw new RedisTokenStoreError(
      `The value at Redis key ${key} is not JSON, so not a token set`,
      {
        key,
        reason: 'corrupt',
      },
    )
  }
  if (!isTokenSet(parsed)) {
    throw new RedisTokenStoreError(
      `The value at Redis key ${key} is not a token set (no \`accessToken\`)`,
      { key, reason: 'corrupt' },
    )
  }
  return parsed
}

// node-redis' ErrorReply (and its SimpleError, BlobError), recognized without loading the `redis` package, whose
// modules take most of a second to load: a Redis error reply, as opposed to a connection failure.
function isErrorReply(error: unknown): error is Error {
  let prototype: unknown = error instanceof Error ? Object.getPrototypeOf(error) : null
  while (prototype !== null && prototype !== Error.prototype) {
    if ((prototype as { constructor?: { name?: unknown } }).constructor?.name === 'ErrorReply') {
      return true
    }
    prototype = Object.getPrototypeOf(prototype)
  }
  return false
}

function isTokenSet(value: unknown): value is TokenSet {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const { accessToken } = value as { accessToken?: unknown }
  return typeof accessToken === 'string' && accessToken !== ''
}

function readNotification(
  message: string,
): { source: string; tokens: TokenSet | null } | undefined {
  let parsed: unknown
  try {
    parsed = JSON.parse(message)
  } catch {
    return undefined
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined
  const { source, tokens } = parsed as { source?: unknown; tokens?: unknown }
  if (typeof source !== 'string' || (tokens !== null && !isTokenSet(tokens))) return undefined
  return { source, tokens }
}
