import { TokenflightError, type TokenSet } from '@tokenflight/core'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { type BrowserTokenStore, BrowserTokenStoreError, browserTokenStore } from '../src/index.js'

// Each store stands for one tab: two stores of one key in this page share the session through the same IndexedDB,
// Web Locks and BroadcastChannel that separate tabs share. Several tabs at once are in tabs.test.ts.

const opened: BrowserTokenStore[] = []
afterEach(() => {
  for (const store of opened.splice(0)) store.close()
  vi.restoreAllMocks()
})

let serial = 0
function newKey(): string {
  return `test-${Date.now()}-${++serial}`
}

function open(key: string, options: { leaseMs?: number } = {}): BrowserTokenStore {
  const store = browserTokenStore({ key, ...options })
  opened.push(store)
  return store
}

function tokens(name: string): TokenSet {
  return {
    accessToken: `at_${name}_secret`,
    refreshToken: `rt_${name}_secret`,
    expiresAt: 1_900_000_000_000,
  }
}

function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((settle) => {
    resolve = settle
  })
  return { promise, resolve }
}

function idbRequest<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result)
    request.onerror = () => reject(request.error)
  })
}

// The store's database as it lays it out, opened behind its back.
function openRaw(): Promise<IDBDatabase> {
  const opening = indexedDB.open('tokenflight', 1)
  opening.onupgradeneeded = () => {
    opening.result.createObjectStore('sessions')
    opening.result.createObjectStore('leases')
  }
  return idbRequest(opening)
}

// Writes a raw value where the store keeps its records, as another program or an old version might have.
async function putRaw(
  storeName: 'sessions' | 'leases',
  key: string,
  value: unknown,
): Promise<void> {
  const database = await openRaw()
  try {
    const transaction = database.transaction(storeName, 'readwrite')
    await idbRequest(transaction.objectStore(storeName).put(value, key))
    await new Promise((resolve) => {
      transaction.oncomplete = resolve
    })
  } finally {
    database.close()
  }
}

async function getRaw(key: string): Promise<unknown> {
  const database = await openRaw()
  try {
    return await idbRequest(database.transaction('sessions').objectStore('sessions').get(key))
  } finally {
    database.close()
  }
}

function listen(store: BrowserTokenStore): Array<TokenSet | undefined> {
  const heard: Array<TokenSet | undefined> = []
  store.subscribe((tokens) => heard.push(tokens))
  return heard
}

const noSignal = () => new AbortController().signal

// Takes the lock for `critical`; `granted` resolves once `critical` runs.
function takeLock<T>(
  store: BrowserTokenStore,
  critical: () => Promise<T>,
  signal: AbortSignal = noSignal(),
): { settled: Promise<T>; granted: Promise<void> } {
  const granted = deferred()
  const settled = store.lock(
    () => {
      granted.resolve()
      return critical()
    },
    { signal },
  )
  return { settled, granted: granted.promise }
}

// Hides `navigator.locks` while a store is created, as in an insecure context or Safari before 15.4.
function withoutWebLocks<T>(create: () => T): T {
  Object.defineProperty(navigator, 'locks', { value: undefined, configurable: true })
  try {
    return create()
  } finally {
    Reflect.deleteProperty(navigator, 'locks')
  }
}

describe('browserTokenStore options', () => {
  it('throws a TypeError naming `key` when it is missing or empty', () => {
    expect(() => browserTokenStore({ key: '' })).toThrow(
      new TypeError('Expected `key` to be a non-empty string'),
    )
    expect(() => browserTokenStore({} as { key: string })).toThrow(/`key`/)
  })

  it('throws a TypeError naming `leaseMs` when it is not a positive number', () => {
    expect(() => browserTokenStore({ key: 'k', leaseMs: 0 })).toThrow(/`leaseMs`/)
    expect(() => browserTokenStore({ key: 'k', leaseMs: Number.NaN })).toThrow(/`leaseMs`/)
  })

  it('throws a TypeError naming a misspelt option', () => {
    expect(() => browserTokenStore({ key: 'k', leaseMS: 5 } as { key: string })).toThrow(
      new TypeError('Unknown option `leaseMS`'),
    )
  })

  it('takes Web Locks where the browser has them', () => {
    expect(open(newKey()).lockKind).toBe('web-locks')
  })
})

describe('when tokens are set, read and cleared', () => {
  it('reads back what was set, as JSON in IndexedDB, and undefined once cleared', async () => {
    const key = newKey()
    const store = open(key)
    expect(await store.get()).toBeUndefined()

    await store.set(tokens('one'))
    expect(await store.get()).toEqual(tokens('one'))
    expect(await open(key).get()).toEqual(tokens('one'))
    const raw = (await getRaw(key)) as { revision: number; tokens: string }
    expect(JSON.parse(raw.tokens)).toEqual(tokens('one'))

    await store.clear()
    expect(await store.get()).toBeUndefined()
  })

  it('keeps sessions of different keys apart', async () => {
    const first = open(newKey())
    const second = open(newKey())
    await first.set(tokens('first'))
    expect(await second.get()).toBeUndefined()
  })

  it('rejects a value that is not a token set with a TypeError, and writes nothing', async () => {
    const store = open(newKey())
    await store.set(tokens('kept'))
    await expect(store.set({ accessToken: '' })).rejects.toThrow(/`accessToken`/)
    await expect(store.set({ accessToken: 'a', expiresAt: Number.NaN })).rejects.toThrow(TypeError)
    expect(await store.get()).toEqual(tokens('kept'))
  })
})

describe('when the stored value is corrupt', () => {
  it.each([
    ['not JSON', { revision: 2, tokens: '{"accessToken":"at_leaked_secret",' }],
    ['not a token set', { revision: 2, tokens: '{"access_token":"at_leaked_secret"}' }],
    ['not a session record', 'at_leaked_secret'],
  ])(
    'rejects get() with a BrowserTokenStoreError naming the key, not the value (%s)',
    async (_kind, raw) => {
      const key = newKey()
      await putRaw('sessions', key, raw)
      const error = await open(key)
        .get()
        .catch((caught: unknown) => caught)

      expect(error).toBeInstanceOf(BrowserTokenStoreError)
      expect(error).toBeInstanceOf(TokenflightError)
      expect(error).toMatchObject({
        name: 'BrowserTokenStoreError',
        code: 'BROWSER_TOKEN_STORE_ERROR',
        reason: 'corrupt',
        key,
      })
      expect((error as Error).message).toContain(key)
      expect(JSON.parse(JSON.stringify(error))).toEqual({
        name: 'BrowserTokenStoreError',
        code: 'BROWSER_TOKEN_STORE_ERROR',
        message: (error as Error).message,
      })
      expect((error as Error).message).not.toContain('leaked')
      expect((error as Error).cause).toBeUndefined()
    },
  )

  it('replaces it with the next tokens set, as after a new sign-in', async () => {
    const key = newKey()
    await putRaw('sessions', key, { revision: 7, tokens: 'not json' })
    const store = open(key)
    await store.set(tokens('fresh'))
    expect(await store.get()).toEqual(tokens('fresh'))
  })

  it('does not tell subscribers of a sign-out when another tab meets a corrupt value', async () => {
    const key = newKey()
    const listener = open(key)
    const heard = listen(listener)
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    await putRaw('sessions', key, { revision: 9, tokens: 'not json' })
    // The notice another tab would send after writing revision 9.
    const channel = new BroadcastChannel(`tokenflight:${key}`)
    channel.postMessage({ tokenflight: 1, key, message: { type: 'session-changed', revision: 9 } })
    channel.close()

    await vi.waitFor(() => expect(warn).toHaveBeenCalled())
    expect(heard).toEqual([])
    expect(String(warn.mock.calls[0]?.[0])).toContain(key)
  })
})

type OpenPair = (
  key: string,
  options?: { leaseMs?: number },
) => [BrowserTokenStore, BrowserTokenStore]

describe.each<[string, OpenPair]>([
  ['Web Locks', (key, options) => [open(key, options), open(key, options)]],
  [
    'the lease where there are no Web Locks',
    (key, options) => withoutWebLocks(() => [open(key, options), open(key, options)]),
  ],
])('lock, on %s', (_name, openPair) => {
  it('runs one critical section at a time, and the next holder reads what the previous one wrote', async () => {
    const [tabA, tabB] = openPair(newKey())
    await tabA.set(tokens('old'))
    const holdA = deferred()
    const events: string[] = []
    const a = tabA.lock(
      async () => {
        events.push('a start')
        await holdA.promise
        await tabA.set(tokens('rotated'))
        events.push('a end')
      },
      { signal: noSignal() },
    )
    await vi.waitFor(() => expect(events).toEqual(['a start']))
    const b = tabB.lock(
      async () => {
        events.push('b start')
        return tabB.get()
      },
      { signal: noSignal() },
    )
    await new Promise((resolve) => setTimeout(resolve, 150))
    expect(events).toEqual(['a start'])

    holdA.resolve()
    await a
    expect(await b).toEqual(tokens('rotated'))
    expect(events).toEqual(['a start', 'a end', 'b start'])
  })

  it('resolves what the critical section resolves, and rejects with what it throws, then lets go', async () => {
    const [store] = openPair(newKey())
    expect(await store.lock(async () => 42, { signal: noSignal() })).toBe(42)
    const failure = new Error('refresh failed')
    await expect(
      store.lock(
        async () => {
          throw failure
        },
        { signal: noSignal() },
      ),
    ).rejects.toBe(failure)
    expect(await store.lock(async () => 'granted again', { signal: noSignal() })).toBe(
      'granted again',
    )
  })

  it('rejects with the signal reason when the signal aborts before the lock is granted, and never runs it', async () => {
    const [tabA, tabB] = openPair(newKey())
    const holdA = deferred()
    const a = takeLock(tabA, () => holdA.promise)
    await a.granted
    const controller = new AbortController()
    const critical = vi.fn(async () => {})
    const b = tabB.lock(critical, { signal: controller.signal })
    const reason = new Error('refresh deadline passed')
    setTimeout(() => controller.abort(reason), 50)

    await expect(b).rejects.toBe(reason)
    holdA.resolve()
    await a.settled
    expect(critical).not.toHaveBeenCalled()
    expect(await tabB.lock(async () => 'free', { signal: noSignal() })).toBe('free')
  })

  it('rejects at once with the reason of a signal that is already aborted', async () => {
    const [store] = openPair(newKey())
    const controller = new AbortController()
    controller.abort(new Error('too late'))
    await expect(store.lock(async () => {}, { signal: controller.signal })).rejects.toThrow(
      'too late',
    )
  })

  it('keeps the lock past the deadline until the critical section settles, so its late result is read next', async () => {
    const [tabA, tabB] = openPair(newKey())
    await tabA.set(tokens('start'))
    const controller = new AbortController()
    const lateResult = deferred()
    const a = takeLock(
      tabA,
      async () => {
        await lateResult.promise
        await tabA.set(tokens('late'))
      },
      controller.signal,
    )
    await a.granted
    controller.abort(new Error('deadline'))
    const b = tabB.lock(() => tabB.get(), { signal: noSignal() })
    await new Promise((resolve) => setTimeout(resolve, 150))

    lateResult.resolve()
    await a.settled
    expect(await b).toEqual(tokens('late'))
  })

  it('lets go `leaseMs` after the deadline when the critical section never settles', async () => {
    const [tabA, tabB] = openPair(newKey(), { leaseMs: 300 })
    const controller = new AbortController()
    const stuck = takeLock(tabA, () => new Promise<never>(() => {}), controller.signal)
    await stuck.granted
    const abortedAt = Date.now()
    controller.abort(new Error('deadline'))

    await expect(stuck.settled).rejects.toMatchObject({
      name: 'BrowserTokenStoreError',
      reason: 'lock-lost',
    })
    const grantedAt = await tabB.lock(async () => Date.now(), { signal: noSignal() })
    expect(grantedAt - abortedAt).toBeGreaterThanOrEqual(300)
  })

  it('refuses a write from a hold that let go once a newer holder wrote, and keeps the newer tokens', async () => {
    const [tabA, tabB] = openPair(newKey(), { leaseMs: 100 })
    await tabA.set(tokens('start'))
    const controller = new AbortController()
    const lateWrite = deferred()
    let writeFromA: Promise<void> | undefined
    const a = takeLock(
      tabA,
      async () => {
        await lateWrite.promise
        writeFromA = tabA.set(tokens('stale'))
        await writeFromA
      },
      controller.signal,
    )
    await a.granted
    controller.abort(new Error('deadline'))
    await expect(a.settled).rejects.toMatchObject({ reason: 'lock-lost' })
    await tabB.lock(() => tabB.set(tokens('newer')), { signal: noSignal() })

    lateWrite.resolve()
    await vi.waitFor(() => expect(writeFromA).toBeDefined())
    await expect(writeFromA).rejects.toMatchObject({
      name: 'BrowserTokenStoreError',
      reason: 'conflict',
    })
    expect(await tabB.get()).toEqual(tokens('newer'))
  })

  it('refuses a refresh result written under the lock after another tab signed out, and keeps the sign-out', async () => {
    const [tabA, tabB] = openPair(newKey())
    await tabA.set(tokens('start'))
    const tokenEndpoint = deferred()
    const readUnderLock = deferred()
    const refresh = tabA.lock(
      async () => {
        await tabA.get()
        readUnderLock.resolve()
        await tokenEndpoint.promise
        await tabA.set(tokens('refreshed'))
      },
      { signal: noSignal() },
    )
    await readUnderLock.promise
    // A sign-out takes no lock.
    await tabB.clear()

    tokenEndpoint.resolve()
    await expect(refresh).rejects.toMatchObject({ reason: 'conflict' })
    expect(await tabB.get()).toBeUndefined()
  })

  it('lets go when the page is hidden (entering the back/forward cache)', async () => {
    const [tabA, tabB] = openPair(newKey())
    const held = takeLock(tabA, () => new Promise<never>(() => {}))
    await held.granted
    dispatchEvent(new PageTransitionEvent('pagehide', { persisted: true }))

    await expect(held.settled).rejects.toMatchObject({ reason: 'lock-lost' })
    expect(await tabB.lock(async () => 'granted', { signal: noSignal() })).toBe('granted')
  })
})

describe('lock, on the lease', () => {
  it('is what a store takes where there are no Web Locks', () => {
    expect(withoutWebLocks(() => open(newKey())).lockKind).toBe('lease')
  })

  it('takes over the lease of a holder that died once it expires', async () => {
    const key = newKey()
    const store = withoutWebLocks(() => open(key, { leaseMs: 2_000 }))
    // A tab that took the lease and was killed: nobody renews or releases it.
    const expiresAt = Date.now() + 300
    await putRaw('leases', key, { epoch: 4, owner: 'dead-tab', expiresAt })

    const grantedAt = await store.lock(async () => Date.now(), { signal: noSignal() })
    expect(grantedAt).toBeGreaterThanOrEqual(expiresAt)
  })

  it('keeps a lease it renews for longer than `leaseMs`', async () => {
    const key = newKey()
    const [tabA, tabB] = withoutWebLocks(() => [open(key, { leaseMs: 150 }), open(key)])
    const events: string[] = []
    const a = takeLock(tabA, async () => {
      await new Promise((resolve) => setTimeout(resolve, 500))
      events.push('a end')
    })
    await a.granted
    await tabB.lock(
      async () => {
        events.push('b start')
      },
      { signal: noSignal() },
    )
    await a.settled
    expect(events).toEqual(['a end', 'b start'])
  })
})

describe('subscribe', () => {
  it('tells the other stores of a key of tokens set and cleared, and not the store that wrote them', async () => {
    const key = newKey()
    const [tabA, tabB, tabC] = [open(key), open(key), open(key)]
    const [heardA, heardB, heardC] = [listen(tabA), listen(tabB), listen(tabC)]

    await tabA.set(tokens('signed-in'))
    await vi.waitFor(() => expect(heardB).toEqual([tokens('signed-in')]))
    await vi.waitFor(() => expect(heardC).toEqual([tokens('signed-in')]))
    await tabB.clear()
    await vi.waitFor(() => expect(heardA).toEqual([undefined]))
    await vi.waitFor(() => expect(heardC).toEqual([tokens('signed-in'), undefined]))
    expect(heardB).toEqual([tokens('signed-in')])
  })

  it('stops calling a listener once unsubscribed', async () => {
    const key = newKey()
    const [tabA, tabB] = [open(key), open(key)]
    const heard: unknown[] = []
    const unsubscribe = tabB.subscribe((value) => heard.push(value))
    const other = listen(tabB)
    unsubscribe()
    await tabA.set(tokens('one'))
    await vi.waitFor(() => expect(other).toHaveLength(1))
    expect(heard).toEqual([])
  })

  it('does not repeat tokens the store already read under the lock', async () => {
    const key = newKey()
    const [tabA, tabB] = [open(key), open(key)]
    const heardB = listen(tabB)
    await tabA.set(tokens('one'))
    await vi.waitFor(() => expect(heardB).toHaveLength(1))
    await tabA.set(tokens('two'))
    // tabB reads it first, as a refresh under the lock would, before the notice arrives.
    expect(await tabB.get()).toEqual(tokens('two'))
    await tabA.set(tokens('three'))
    await vi.waitFor(() => expect(heardB.at(-1)).toEqual(tokens('three')))
    expect(heardB).not.toContainEqual(tokens('two'))
  })

  it('does not tell of a change older than a write the store made meanwhile, as a sign-out just before a sign-in', async () => {
    const key = newKey()
    const store = open(key)
    const heard = listen(store)
    // Another tab signed out, and its notice is being read when this tab signs in.
    await putRaw('sessions', key, { revision: 1, tokens: null })
    await store.get()
    await putRaw('sessions', key, { revision: 2, tokens: null })
    dispatchEvent(new PageTransitionEvent('pageshow', { persisted: true }))
    for (let turn = 0; turn < 5; turn++) await null
    await store.set(tokens('signed-in'))

    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(heard).toEqual([])
    expect(await store.get()).toEqual(tokens('signed-in'))
  })

  it('ignores a message of another shape on its channel, warns once, and goes on', async () => {
    const key = newKey()
    const tabB = open(key)
    const heardB = listen(tabB)
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const foreign = new BroadcastChannel(`tokenflight:${key}`)
    for (const message of [
      'hello',
      null,
      { type: 'session-changed', revision: 5 },
      { tokenflight: 1, key, message: { type: 'session-changed', revision: -1 } },
      { tokenflight: 1, key: 'other', message: { type: 'session-changed', revision: 5 } },
    ]) {
      foreign.postMessage(message)
    }
    foreign.close()
    await vi.waitFor(() => expect(warn).toHaveBeenCalledOnce())
    expect(String(warn.mock.calls[0]?.[0])).toContain('another shape')

    const tabA = open(key)
    await tabA.set(tokens('after'))
    await vi.waitFor(() => expect(heardB).toEqual([tokens('after')]))
    expect(warn).toHaveBeenCalledOnce()
  })

  it('reads the session again when the page comes back from the back/forward cache', async () => {
    const key = newKey()
    const store = open(key)
    const heard = listen(store)
    // Written while this page was frozen: its notice never arrived.
    await putRaw('sessions', key, { revision: 3, tokens: JSON.stringify(tokens('while-away')) })

    dispatchEvent(new PageTransitionEvent('pageshow', { persisted: false }))
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(heard).toEqual([])
    dispatchEvent(new PageTransitionEvent('pageshow', { persisted: true }))
    await vi.waitFor(() => expect(heard).toEqual([tokens('while-away')]))
  })
})

describe('after close()', () => {
  it('rejects every call with a TypeError and hears nothing more', async () => {
    const key = newKey()
    const [tabA, tabB] = [open(key), open(key)]
    const heardB = listen(tabB)
    tabB.close()
    tabB.close()
    await tabA.set(tokens('one'))
    await expect(tabB.get()).rejects.toThrow(TypeError)
    await expect(tabB.lock(async () => {}, { signal: noSignal() })).rejects.toThrow(TypeError)
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(heardB).toEqual([])
  })
})
