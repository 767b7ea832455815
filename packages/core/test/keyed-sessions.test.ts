import { inspect } from 'node:util'
import { describe, expect, it, vi } from 'vitest'
import {
  createRefresherPool,
  memoryTokenStore,
  type PoolRefreshContext,
  type RefresherPoolEvent,
  type RefresherPoolKey,
  type RefresherPoolOptions,
  SessionExpiredError,
  type TokenSet,
  type TokenStore,
} from '../src/index.js'
import {
  type Deferred,
  deferred,
  flushPromises,
  hour,
  manualClock,
  rotatingEndpoint,
  sharedSession,
} from './support.js'

interface KeyedCall<Key extends RefresherPoolKey> extends Deferred<TokenSet> {
  key: Key
  tokens: TokenSet | undefined
}

/** A pool refresh function whose calls a test settles by hand, each with the key it was called for. */
function keyedRefresh<Key extends RefresherPoolKey>() {
  const calls: KeyedCall<Key>[] = []
  const refresh = ({ key, tokens }: PoolRefreshContext<Key>) => {
    const call = { ...deferred<TokenSet>(), key, tokens }
    calls.push(call)
    return call.promise
  }
  return { refresh, calls }
}

/** A pool refresh function that answers at once with a token naming its key and a counter. */
function mintingRefresh<Key extends RefresherPoolKey>(now: () => number = Date.now) {
  const minted: Key[] = []
  const refresh = async ({ key, tokens }: PoolRefreshContext<Key>): Promise<TokenSet> => {
    minted.push(key)
    const generation = Number(tokens?.refreshToken ?? 0) + 1
    return {
      accessToken: `${JSON.stringify(key)}#${minted.length}`,
      refreshToken: String(generation),
      expiresAt: now() + hour,
    }
  }
  return { refresh, minted }
}

/** Stores that outlive the sessions of a pool, one per key, as a database would keep them. */
function storesByKey() {
  const stores = new Map<string, TokenStore & { reads: number; writes: number }>()
  const store = (key: RefresherPoolKey) => {
    const name = typeof key === 'string' ? key : JSON.stringify(key)
    let existing = stores.get(name)
    if (existing === undefined) {
      const memory = memoryTokenStore()
      const counted = {
        reads: 0,
        writes: 0,
        get: () => {
          counted.reads++
          return memory.get()
        },
        set: (tokens: TokenSet) => {
          counted.writes++
          return memory.set(tokens)
        },
        clear: () => memory.clear(),
      }
      existing = counted
      stores.set(name, existing)
    }
    return existing
  }
  return { store, stores }
}

/** Lets the pool's macrotask run, after which settled sessions count as idle again. */
const nextMacrotask = () => new Promise<void>((resolve) => setImmediate(resolve))

describe('behaviour 23: keyed sessions', () => {
  describe('when 1,000 callers ask one key for a token at once', () => {
    it('runs one refresh and resolves every caller with its token', async () => {
      const { refresh, calls } = keyedRefresh<string>()
      const sessions = createRefresherPool({ refresh })

      const callers = Array.from({ length: 1_000 }, () => sessions.get('alice').getAccessToken())
      await flushPromises()
      expect(calls).toHaveLength(1)
      calls[0]?.resolve({ accessToken: 'alice-token', expiresAt: Date.now() + hour })

      expect(new Set(await Promise.all(callers))).toEqual(new Set(['alice-token']))
      expect(calls).toHaveLength(1)
      expect(sessions.size).toBe(1)
    })
  })

  describe('when 1,000 keys are each asked by 10 callers at once', () => {
    it('runs one refresh per key, side by side, and gives each caller the token of its own key', async () => {
      const { refresh, calls } = keyedRefresh<{ user: string }>()
      const sessions = createRefresherPool({ refresh })
      const users = Array.from({ length: 1_000 }, (_, index) => `user-${index}`)

      const callers = users.flatMap((user) =>
        Array.from({ length: 10 }, () =>
          sessions
            .get({ user })
            .getAccessToken()
            .then((token) => ({ user, token })),
        ),
      )
      await flushPromises()
      // Every key's refresh is in flight before any has finished: no session waits for another.
      expect(calls).toHaveLength(1_000)
      // Settled in reverse, so that an answer reaching the wrong callers would show.
      for (const call of [...calls].reverse()) {
        call.resolve({ accessToken: `token-of-${call.key.user}`, expiresAt: Date.now() + hour })
      }

      const answers = await Promise.all(callers)
      expect(answers).toHaveLength(10_000)
      for (const { user, token } of answers) expect(token).toBe(`token-of-${user}`)
      expect(new Set(calls.map((call) => call.key.user)).size).toBe(1_000)
    }, 20_000)
  })

  describe('when keys are compared', () => {
    it('shares one session between keys that differ only in field order or in the order of scopes', async () => {
      const { refresh, minted } = mintingRefresh<RefresherPoolKey>()
      const sessions = createRefresherPool<RefresherPoolKey>({ refresh })
      const spellings: RefresherPoolKey[] = [
        { user: 'alice', tenant: 'acme', scope: 'files:read files:write' },
        { tenant: 'acme', scope: 'files:write files:read', user: 'alice' },
        { scope: ' files:read  files:write files:read ', user: 'alice', tenant: 'acme' },
        { user: 'alice', scope: ['files:write', 'files:read'], tenant: 'acme' },
        { user: 'alice', scope: ['files:read files:write'], tenant: 'acme' },
      ]

      const refreshers = new Set(spellings.map((key) => sessions.get(key)))
      const tokens = await Promise.all(spellings.map((key) => sessions.get(key).getAccessToken()))

      expect(refreshers.size).toBe(1)
      expect(new Set(tokens).size).toBe(1)
      expect(minted).toHaveLength(1)
      expect(sessions.size).toBe(1)
    })

    it('treats `scopes` as a set of scopes too', async () => {
      const sessions = createRefresherPool({ refresh: mintingRefresh().refresh })
      expect(sessions.get({ user: 'alice', scopes: ['b', 'a'] })).toBe(
        sessions.get({ user: 'alice', scopes: 'a b' }),
      )
    })

    it('never shares a token between keys that differ in resource, audience, scope, tenant or user', async () => {
      const { refresh, minted } = mintingRefresh<RefresherPoolKey>()
      const sessions = createRefresherPool<RefresherPoolKey>({ refresh })
      const base = { user: 'alice', tenant: 'acme', scope: 'files:read' }
      const keys: RefresherPoolKey[] = [
        base,
        { ...base, resource: 'https://files.example.com' },
        { ...base, resource: 'https://mail.example.com' },
        { ...base, resource: ['https://files.example.com', 'https://mail.example.com'] },
        { ...base, audience: 'https://files.example.com' },
        { ...base, scope: 'files:read files:write' },
        { ...base, scope: 'files:write' },
        { ...base, tenant: 'globex' },
        { ...base, user: 'bob' },
        // The same text in another field is another key.
        { user: 'alice', tenant: 'acme', scopes: 'files:read' },
        'alice',
      ]

      const tokens = await Promise.all(keys.map((key) => sessions.get(key).getAccessToken()))

      expect(new Set(tokens).size).toBe(keys.length)
      expect(minted).toEqual(keys)
      expect(sessions.size).toBe(keys.length)
    })

    it('keeps the order of other arrays significant: another order is another session', () => {
      const sessions = createRefresherPool({ refresh: mintingRefresh().refresh })
      const first = sessions.get({
        user: 'alice',
        audience: ['https://a.example', 'https://b.example'],
      })
      const second = sessions.get({
        user: 'alice',
        audience: ['https://b.example', 'https://a.example'],
      })
      expect(first).not.toBe(second)
      expect(sessions.get({ user: 'alice', audience: 'https://a.example' })).not.toBe(
        sessions.get({ user: 'alice', audience: ['https://a.example'] }),
      )
    })

    it('cannot be fooled by separators or lengths written into names and values', () => {
      const sessions = createRefresherPool({ refresh: mintingRefresh().refresh })
      const keys: RefresherPoolKey[] = [
        { a: 'b' },
        { a: 'b', c: 'd' },
        { a: 'b1:cs1:d' },
        { 'a1:b': 'x' },
        { a: ['b', 'c'] },
        { a: ['b', 'c', 'd'] },
        { a: 'a2:1:b1:c' },
        '\0o1:as1:b',
        '\0s',
        { scope: 'a b' },
        { scope: 'a', b: 'x' },
      ]
      const refreshers = new Set(keys.map((key) => sessions.get(key)))
      expect(refreshers.size).toBe(keys.length)
    })
  })

  describe('when the pool holds maxSessions', () => {
    // The heavy cases get a generous timeout: about a second each here, several on a machine under load.
    it('keeps at most maxSessions sessions while 100,000 keys get a token one after another', async () => {
      let created = 0
      const sessions = createRefresherPool({
        refresh: mintingRefresh().refresh,
        initialTokens: (key) => {
          created++
          return { accessToken: `token-of-${JSON.stringify(key)}`, expiresAt: Date.now() + hour }
        },
        maxSessions: 1_000,
      })
      // String keys and object keys in turn.
      const keyOf = (index: number): RefresherPoolKey =>
        index % 2 === 0 ? `user-${index}` : { user: `user-${index}`, tenant: 'acme' }
      let largest = 0
      let wrongTokens = 0
      for (let index = 0; index < 100_000; index++) {
        const key = keyOf(index)
        const token = await sessions.get(key).getAccessToken()
        if (token !== `token-of-${JSON.stringify(key)}`) wrongTokens++
        largest = Math.max(largest, sessions.size)
      }
      expect(wrongTokens).toBe(0)
      expect(created).toBe(100_000)
      expect(largest).toBe(1_000)
      expect(sessions.size).toBe(1_000)

      // The 1,000 used last are the ones kept, found again from keys built anew.
      for (let index = 99_000; index < 100_000; index++) {
        const key = keyOf(index)
        await sessions.get(typeof key === 'string' ? `${key}` : { ...key }).getAccessToken()
      }
      expect(created).toBe(100_000)
    }, 20_000)

    it('goes beyond it only by the sessions busy at that moment, and comes back to it once they settle', async () => {
      const { refresh, calls } = keyedRefresh<string>()
      const sessions = createRefresherPool<string>({
        refresh,
        initialTokens: (key) =>
          key.startsWith('busy-') ? undefined : { accessToken: `token-of-${key}` },
        maxSessions: 100,
      })
      const busy = Array.from({ length: 150 }, (_, index) => `busy-${index}`)
      // Each call starts as its session is created: a session nobody has called yet is idle, and may be evicted.
      const waiting: Promise<string>[] = []
      const busyRefreshers = busy.map((key) => {
        const refresher = sessions.get(key)
        waiting.push(refresher.getAccessToken())
        return refresher
      })
      expect(sessions.size).toBe(busy.length)

      let largest = 0
      for (let index = 0; index < 10_000; index++) {
        await sessions.get(`idle-${index}`).getAccessToken()
        largest = Math.max(largest, sessions.size)
      }
      // The busy sessions only: each idle one goes as soon as its call settles, since the pool is beyond its size.
      expect(largest).toBe(busy.length)
      // Each busy session is still the pool's own, with its one refresh.
      busy.forEach((key, index) => {
        expect(sessions.get(key)).toBe(busyRefreshers[index])
      })
      expect(calls).toHaveLength(busy.length)

      for (const call of calls) call.resolve({ accessToken: `token-of-${call.key}` })
      expect(await Promise.all(waiting)).toEqual(busy.map((key) => `token-of-${key}`))
      await nextMacrotask()
      expect(sessions.size).toBe(100)
    }, 20_000)

    it('evicts the least recently used idle session first, and says so in an event', async () => {
      const events: RefresherPoolEvent<string>[] = []
      const sessions = createRefresherPool<string>({
        refresh: mintingRefresh<string>().refresh,
        maxSessions: 3,
        onEvent: (event) => events.push(event),
      })
      for (const key of ['a', 'b', 'c']) await sessions.get(key).getAccessToken()
      await nextMacrotask()
      // A call on `a` makes it the most recently used, so that `b` is now the least recently used.
      const a = sessions.get('a')
      const c = sessions.get('c')
      await a.getAccessToken()
      sessions.get('d')

      expect(events.filter((event) => event.type === 'session-evicted')).toEqual([
        { type: 'session-evicted', key: 'b' },
      ])
      expect(sessions.get('a')).toBe(a)
      expect(sessions.get('c')).toBe(c)
      expect(sessions.size).toBe(3)
    })

    it('keeps a session whose key begins with the fields of an evicted one, and the other way round', async () => {
      const sessions = createRefresherPool({ refresh: mintingRefresh().refresh, maxSessions: 2 })
      const use = async (key: RefresherPoolKey) => {
        const refresher = sessions.get(key)
        await refresher.getAccessToken()
        await nextMacrotask()
        return refresher
      }
      await use({ tenant: 'acme' })
      const longer = await use({ tenant: 'acme', user: 'alice' })
      const other = await use({ tenant: 'globex' })

      expect(sessions.get({ user: 'alice', tenant: 'acme' })).toBe(longer)
      const shorter = await use({ tenant: 'acme' })
      expect(sessions.get({ tenant: 'globex' })).toBe(other)
      expect(sessions.get({ tenant: 'acme' })).toBe(shorter)
      expect(sessions.size).toBe(2)
    })

    it('rebuilds a session evicted while idle from its store, without a refresh', async () => {
      const { refresh, minted } = mintingRefresh<string>()
      const { store, stores } = storesByKey()
      const sessions = createRefresherPool<string>({ refresh, store, maxSessions: 2 })

      const first = await sessions.get('alice').getAccessToken()
      await sessions.get('bob').getAccessToken()
      await sessions.get('carol').getAccessToken()
      await nextMacrotask()
      sessions.get('dave')
      expect(sessions.size).toBe(2)

      expect(await sessions.get('alice').getAccessToken()).toBe(first)
      expect(minted.filter((key) => key === 'alice')).toHaveLength(1)
      expect(stores.get('alice')?.reads).toBe(2)
    })

    it('never evicts a session whose refresh is in flight', async () => {
      const { refresh, calls } = keyedRefresh<string>()
      const sessions = createRefresherPool<string>({
        refresh,
        initialTokens: (key) => (key === 'alice' ? undefined : { accessToken: `token-of-${key}` }),
        maxSessions: 1,
      })
      const alice = sessions.get('alice')
      const waiting = alice.getAccessToken()
      await flushPromises()

      for (let index = 0; index < 100; index++) await sessions.get(`user-${index}`).getAccessToken()
      expect(sessions.get('alice')).toBe(alice)
      const joining = sessions.get('alice').getAccessToken()
      expect(calls).toHaveLength(1)

      calls[0]?.resolve({ accessToken: 'alice-token', expiresAt: Date.now() + hour })
      expect(await Promise.all([waiting, joining])).toEqual(['alice-token', 'alice-token'])
      expect(calls).toHaveLength(1)
    })

    it('never evicts a session whose caller waits for its store', async () => {
      const read = deferred<TokenSet | undefined>()
      const { refresh, minted } = mintingRefresh<string>()
      const sessions = createRefresherPool<string>({
        refresh,
        store: (key) =>
          key === 'alice'
            ? { get: () => read.promise, set: () => {}, clear: () => {} }
            : memoryTokenStore(),
        maxSessions: 1,
      })
      const alice = sessions.get('alice')
      const waiting = alice.getAccessToken()

      for (let index = 0; index < 10; index++) {
        await nextMacrotask()
        await sessions.get(`user-${index}`).getAccessToken()
      }
      expect(sessions.get('alice')).toBe(alice)

      read.resolve({ accessToken: 'stored-alice-token' })
      expect(await waiting).toBe('stored-alice-token')
      expect(minted).not.toContain('alice')
    })

    it('never evicts a session between its background refresh and the store write that follows', async () => {
      const clock = manualClock()
      const { refresh, calls } = keyedRefresh<string>()
      const writes: Array<{ key: string; tokens: TokenSet; done: Deferred<void> }> = []
      const { store: plainStore } = storesByKey()
      const sessions = createRefresherPool<string>({
        refresh,
        now: clock.now,
        store: (key) => {
          const stored = plainStore(key)
          return {
            get: () => stored.get(),
            clear: () => stored.clear(),
            set: (tokens) => {
              const done = deferred<void>()
              writes.push({ key, tokens, done })
              return done.promise.then(() => stored.set(tokens))
            },
          }
        },
        initialTokens: () => ({ accessToken: 'old', expiresAt: clock.now() + hour }),
        maxSessions: 1,
      })
      const alice = sessions.get('alice')
      await alice.getAccessToken()
      await nextMacrotask()
      // Inside the background window: the caller gets the current token and one refresh starts behind it.
      clock.advance(hour - 100_000)
      expect(await alice.getAccessToken()).toBe('old')
      expect(calls).toHaveLength(1)

      calls[0]?.resolve({ accessToken: 'new', expiresAt: clock.now() + hour })
      // No caller waits now: every microtask until the write starts is a chance to evict alice wrongly.
      for (let step = 0; writes.length === 0 && step < 100; step++) {
        sessions.get(`user-${step}`)
        await Promise.resolve()
      }
      expect(sessions.get('alice')).toBe(alice)
      expect(writes.map(({ key, tokens }) => [key, tokens.accessToken])).toEqual([['alice', 'new']])

      // The write is pending for a while: still alice's session.
      await nextMacrotask()
      sessions.get('bob')
      expect(sessions.get('alice')).toBe(alice)

      writes[0]?.done.resolve()
      await flushPromises()
      sessions.get('carol')
      expect(sessions.size).toBe(1)
      // Rebuilt from the store, which the write reached first.
      expect(await sessions.get('alice').getAccessToken()).toBe('new')
      expect(calls).toHaveLength(1)
    })

    it('unsubscribes an evicted session from its shared store', async () => {
      const listeners = new Map<string, Set<(tokens: TokenSet | undefined) => void>>()
      const sessions = createRefresherPool<string>({
        refresh: mintingRefresh<string>().refresh,
        maxSessions: 1,
        store: (key) => {
          const memory = memoryTokenStore()
          return {
            ...memory,
            subscribe: (listener) => {
              const forKey = listeners.get(key) ?? new Set()
              listeners.set(key, forKey)
              forKey.add(listener)
              return () => forKey.delete(listener)
            },
          }
        },
      })
      await sessions.get('alice').getAccessToken()
      await nextMacrotask()
      expect(listeners.get('alice')?.size).toBe(1)

      await sessions.get('bob').getAccessToken()
      await nextMacrotask()

      expect(sessions.size).toBe(1)
      expect(listeners.get('alice')?.size).toBe(0)
      expect(listeners.get('bob')?.size).toBe(1)
    })

    it('keeps a refresher handed out before its eviction working on the key’s current session', async () => {
      const { refresh, minted } = mintingRefresh<string>()
      const { store } = storesByKey()
      const sessions = createRefresherPool<string>({ refresh, store, maxSessions: 1 })
      const kept = sessions.get('alice')
      const first = await kept.getAccessToken()
      await nextMacrotask()
      await sessions.get('bob').getAccessToken()
      await nextMacrotask()
      sessions.get('carol')

      // Both go to one session: a refresher kept by the app never refreshes beside the pool's.
      const current = sessions.get('alice')
      expect(current).not.toBe(kept)
      await Promise.all([kept.refresh(), current.refresh()])
      expect(minted.filter((key) => key === 'alice')).toHaveLength(2)
      expect(kept.getTokens()).toEqual(current.getTokens())
      expect(await kept.getAccessToken()).not.toBe(first)
    })
  })

  describe('when two servers keep pools over stores shared per key, with a lock', () => {
    it('refreshes each key once per expiry between them, through evictions, with no refresh token used twice', async () => {
      const keys = Array.from({ length: 20 }, (_, index) => `user-${index}`)
      const stored = new Map(
        keys.map((key) => [key, sharedSession({ accessToken: `${key}-a0`, refreshToken: 'r0' })]),
      )
      const endpoints = new Map(keys.map((key) => [key, rotatingEndpoint()]))
      const server = (name: string) =>
        createRefresherPool<string>({
          refresh: ({ key, ...context }) =>
            endpoints.get(key)?.refresh(context) as Promise<TokenSet>,
          store: (key) => stored.get(key)?.storeFor(name) as TokenStore,
          maxSessions: 5,
        })
      const servers = [server('east'), server('west')]

      for (let expiry = 0; expiry < 3; expiry++) {
        for (const key of keys) {
          const rejected = expiry === 0 ? `${key}-a0` : `a${expiry}`
          const answers = await Promise.all(
            servers.flatMap((sessions) =>
              Array.from({ length: 3 }, () => sessions.get(key).refreshAfterUnauthorized(rejected)),
            ),
          )
          expect(new Set(answers)).toEqual(new Set([`a${expiry + 1}`]))
        }
        await nextMacrotask()
      }

      for (const endpoint of endpoints.values())
        expect(endpoint).toMatchObject({ calls: 3, reused: 0 })
      expect(servers.map((sessions) => sessions.size)).toEqual([5, 5])
    })
  })

  describe('when a session is deleted', () => {
    it('clears its tokens from its store and drops it', async () => {
      const { refresh, minted } = mintingRefresh<string>()
      const { store, stores } = storesByKey()
      const sessions = createRefresherPool<string>({ refresh, store })
      const before = sessions.get('alice')
      await before.getAccessToken()

      await sessions.delete('alice')

      expect(sessions.size).toBe(0)
      expect(await stores.get('alice')?.get()).toBeUndefined()
      const after = sessions.get('alice')
      expect(after).not.toBe(before)
      await after.getAccessToken()
      expect(minted).toEqual(['alice', 'alice'])
    })

    it('clears the store of a session that had been evicted', async () => {
      const { refresh } = mintingRefresh<string>()
      const { store, stores } = storesByKey()
      const sessions = createRefresherPool<string>({ refresh, store, maxSessions: 1 })
      await sessions.get('alice').getAccessToken()
      await nextMacrotask()
      sessions.get('bob')
      expect(sessions.size).toBe(1)

      await sessions.delete('alice')

      expect(await stores.get('alice')?.get()).toBeUndefined()
      expect(await stores.get('bob')?.get()).toBeUndefined()
      expect(sessions.size).toBe(1)
    })

    it('lets a session created during the sign-out read its store only once it is cleared', async () => {
      const { refresh, minted } = mintingRefresh<string>()
      let stored: TokenSet | undefined = {
        accessToken: 'signed-out-token',
        expiresAt: Date.now() + hour,
      }
      const clearing = deferred<void>()
      const sessions = createRefresherPool<string>({
        refresh,
        store: () => ({
          get: () => stored,
          set: (tokens) => {
            stored = tokens
          },
          clear: () =>
            clearing.promise.then(() => {
              stored = undefined
            }),
        }),
      })
      await sessions.get('alice').getAccessToken()

      const signingOut = sessions.delete('alice')
      const again = sessions.get('alice').getAccessToken()
      clearing.resolve()
      await signingOut

      expect(await again).not.toBe('signed-out-token')
      expect(minted).toEqual(['alice'])
    })

    it('ends a refresh it interrupts without publishing its result', async () => {
      const { refresh, calls } = keyedRefresh<string>()
      const { store, stores } = storesByKey()
      const sessions = createRefresherPool<string>({ refresh, store })
      const waiting = sessions.get('alice').getAccessToken()
      await flushPromises()

      await sessions.delete('alice')
      calls[0]?.resolve({ accessToken: 'too-late' })

      await expect(waiting).rejects.toBeInstanceOf(SessionExpiredError)
      expect(await stores.get('alice')?.get()).toBeUndefined()
    })
  })

  describe('callbacks', () => {
    it('get the key, frozen, in refresh, store, initialTokens and onSessionExpired', async () => {
      const seen: Record<string, unknown[]> = { refresh: [], store: [], initialTokens: [] }
      const onSessionExpired = vi.fn()
      const key = { user: 'alice', audience: ['https://api.example.com'] }
      const sessions = createRefresherPool<typeof key>({
        refresh: async (context) => {
          seen.refresh?.push(context.key)
          throw Object.assign(new Error('rejected'), { error: 'invalid_grant' })
        },
        store: (given) => {
          seen.store?.push(given)
          return memoryTokenStore()
        },
        initialTokens: (given) => {
          seen.initialTokens?.push(given)
          return { accessToken: 'expired', refreshToken: 'r', expiresAt: Date.now() - 1 }
        },
        onSessionExpired,
      })

      await expect(sessions.get(key).getAccessToken()).rejects.toBeInstanceOf(SessionExpiredError)
      key.audience.push('https://changed.example.com')

      for (const [name, keys] of Object.entries(seen)) {
        expect(keys, name).toEqual([{ user: 'alice', audience: ['https://api.example.com'] }])
        expect(Object.isFrozen(keys[0]), name).toBe(true)
        expect(Object.isFrozen((keys[0] as typeof key).audience), name).toBe(true)
      }
      expect(onSessionExpired).toHaveBeenCalledTimes(1)
      expect(onSessionExpired.mock.calls[0]?.[0]).toBeInstanceOf(SessionExpiredError)
      expect(onSessionExpired.mock.calls[0]?.[1]).toEqual({
        user: 'alice',
        audience: ['https://api.example.com'],
      })
    })

    it('get the same key object at each refresh of a session, to key per-session state', async () => {
      const keys: unknown[] = []
      const sessions = createRefresherPool<{ user: string }>({
        refresh: async ({ key }) => {
          keys.push(key)
          return { accessToken: `token-${keys.length}` }
        },
      })
      await sessions.get({ user: 'alice' }).refresh()
      await sessions.get({ user: 'alice' }).refresh()
      expect(keys).toHaveLength(2)
      expect(keys[1]).toBe(keys[0])
    })

    it('tag each event with its key, with credential fields redacted', async () => {
      const subjectToken = 'SECRET-SUBJECT-5e1f'
      const events: RefresherPoolEvent[] = []
      const sessions = createRefresherPool({
        refresh: async ({ key }) => {
          expect(key).toMatchObject({ subjectToken })
          return { accessToken: 'SECRET-ACCESS-8a2b' }
        },
        onEvent: (event) => events.push(event),
      })
      const refresher = sessions.get({ subjectToken, audience: 'https://api.example.com' })
      await refresher.getAccessToken()

      expect(events.map((event) => event.type)).toEqual(['refresh-started', 'refresh-succeeded'])
      for (const event of events) {
        expect(event.key).toEqual({
          subjectToken: '[redacted]',
          audience: 'https://api.example.com',
        })
      }
      const outputs = [
        JSON.stringify(events),
        inspect(events, { depth: 10 }),
        inspect(sessions, { depth: 10 }),
        inspect(refresher, { depth: 10 }),
      ]
      for (const output of outputs) {
        expect(output).not.toContain('SECRET')
      }
      expect(inspect(sessions)).toBe('RefresherPool { size: 1, maxSessions: 10000 }')
    })

    it('apply every refresher option to each session', async () => {
      const clock = manualClock()
      const { refresh, minted } = mintingRefresh<string>(clock.now)
      const sessions = createRefresherPool<string>({
        refresh,
        now: clock.now,
        refreshBeforeExpiryMs: 10 * 60_000,
        backgroundRefreshBeforeExpiryMs: 0,
      })
      await sessions.get('alice').getAccessToken()
      await sessions.get('bob').getAccessToken()

      clock.advance(hour - 10 * 60_000)
      await Promise.all([
        sessions.get('alice').getAccessToken(),
        sessions.get('bob').getAccessToken(),
      ])
      expect(minted).toEqual(['alice', 'bob', 'alice', 'bob'])
    })
  })

  describe('bad input', () => {
    const refresh = async (): Promise<TokenSet> => ({ accessToken: 'a' })
    const secret = 'SECRET-SUBJECT-TOKEN-0c4d'

    it.each<[string, unknown, string]>([
      [
        'an empty string',
        '',
        'Expected `key` to be a non-empty string or a plain object of strings and string arrays, got an empty string',
      ],
      [
        'a function',
        () => secret,
        'Expected `key` to be a non-empty string or a plain object of strings and string arrays, got a function',
      ],
      [
        'a number',
        42,
        'Expected `key` to be a non-empty string or a plain object of strings and string arrays, got a number',
      ],
      [
        'null',
        null,
        'Expected `key` to be a non-empty string or a plain object of strings and string arrays, got null',
      ],
      [
        'an array',
        [secret],
        'Expected `key` to be a non-empty string or a plain object of strings and string arrays, got an array',
      ],
      [
        'a Map',
        new Map([['user', secret]]),
        'Expected `key` to be a non-empty string or a plain object of strings and string arrays, got an instance of Map',
      ],
      [
        'an object with no fields',
        {},
        'Expected `key` to be a non-empty string or a plain object of strings and string arrays, got an object with no fields',
      ],
      [
        'an object whose prototype is not Object’s',
        { __proto__: { user: secret } },
        'Expected `key` to be a non-empty string or a plain object of strings and string arrays, got an object that is not a plain object',
      ],
      [
        'a nested object',
        { user: secret, tenant: { id: 'acme' } },
        'Expected `key.tenant` to be a non-empty string or a non-empty array of non-empty strings, got an object',
      ],
      [
        'a number field',
        { subjectToken: secret, tenant: 7 },
        'Expected `key.tenant` to be a non-empty string or a non-empty array of non-empty strings, got a number',
      ],
      [
        'an undefined field',
        { subjectToken: secret, tenant: undefined },
        'Expected `key.tenant` to be a non-empty string or a non-empty array of non-empty strings, got undefined',
      ],
      [
        'an empty field',
        { subjectToken: secret, tenant: '' },
        'Expected `key.tenant` to be a non-empty string or a non-empty array of non-empty strings, got an empty string',
      ],
      [
        'an empty array',
        { subjectToken: secret, audience: [] },
        'Expected `key.audience` to be a non-empty string or a non-empty array of non-empty strings, got an array',
      ],
      [
        'an array holding a number',
        { subjectToken: secret, audience: ['a', 1] },
        'Expected `key.audience` to be a non-empty string or a non-empty array of non-empty strings, got an array holding a number',
      ],
      [
        'a blank scope',
        { subjectToken: secret, scope: '   ' },
        'Expected `key.scope` to hold at least one scope, got spaces only',
      ],
      [
        'an own __proto__ field',
        JSON.parse(`{"user":"${secret}","__proto__":["x"]}`),
        'Expected `key` to have no `__proto__` field',
      ],
      [
        'a symbol field',
        { user: secret, [Symbol('tenant')]: 'acme' },
        'Expected `key` to have string field names only, got a symbol',
      ],
    ])(
      'refuses %s as a key with a TypeError that names what is wrong, never a value',
      (_name, key, message) => {
        const sessions = createRefresherPool({ refresh })
        let thrown: unknown
        try {
          sessions.get(key as RefresherPoolKey)
        } catch (error) {
          thrown = error
        }
        expect(thrown).toBeInstanceOf(TypeError)
        expect((thrown as Error).message).toBe(message)
        expect(sessions.size).toBe(0)
        return expect(sessions.delete(key as RefresherPoolKey)).rejects.toThrow(message)
      },
    )

    it.each<[unknown, string]>([
      [undefined, 'Expected `options` to be an object with at least a `refresh` function'],
      [{}, 'Expected `refresh` to be a function'],
      [
        { refresh, store: memoryTokenStore() },
        'Expected `store` to be a function that returns the TokenStore of a key',
      ],
      [
        { refresh, initialTokens: { accessToken: 'a' } },
        'Expected `initialTokens` to be a function that returns the tokens of a key, or undefined',
      ],
      [{ refresh, maxSessions: 0 }, 'Expected `maxSessions` to be a positive integer, or Infinity'],
      [
        { refresh, maxSessions: 1.5 },
        'Expected `maxSessions` to be a positive integer, or Infinity',
      ],
      [
        { refresh, maxSessions: '100' },
        'Expected `maxSessions` to be a positive integer, or Infinity',
      ],
      [{ refresh, onSessionExpired: true }, 'Expected `onSessionExpired` to be a function'],
      [{ refresh, onEvent: 'log' }, 'Expected `onEvent` to be a function'],
      [
        { refresh, refreshTimeoutMs: 0 },
        'Expected `refreshTimeoutMs` to be a positive number up to 2147483647, or Infinity',
      ],
      [{ refresh, now: Date.now() }, 'Expected `now` to be a function'],
      [{ refresh, maxSession: 10 }, 'Unknown option `maxSession`'],
    ])('refuses options %j with a TypeError naming the option', (options, message) => {
      expect(() => createRefresherPool(options as RefresherPoolOptions)).toThrow(
        new TypeError(message),
      )
    })

    it('refuses a store function that returns no store, naming it', () => {
      const sessions = createRefresherPool({
        refresh,
        store: () => ({ get: () => undefined }) as unknown as TokenStore,
      })
      expect(() => sessions.get('alice')).toThrow(
        new TypeError(
          'Expected `store(key)` to return an object with `get`, `set` and `clear` methods',
        ),
      )
      expect(sessions.size).toBe(0)
    })

    it('refuses invalid initial tokens of a key, naming the field', () => {
      const sessions = createRefresherPool({ refresh, initialTokens: () => ({ accessToken: '' }) })
      expect(() => sessions.get('alice')).toThrow(
        new TypeError(
          'Expected `initialTokens.accessToken` to be a non-empty string, got an empty string',
        ),
      )
      expect(sessions.size).toBe(0)
    })
  })
})
