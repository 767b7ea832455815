import { setTimeout as sleep } from 'node:timers/promises'
import { inspect } from 'node:util'
import type { TokenSet, TokenStore } from '@tokenflight/core'
import { beforeEach, describe, expect, it, vi } from 'vitest'

/** A store with the optional methods of a shared one, each returning a promise. */
export interface SharedTokenStore extends TokenStore {
  get(): Promise<TokenSet | undefined>
  set(tokens: TokenSet): Promise<void>
  clear(): Promise<void>
  lock<T>(critical: () => Promise<T>, options: { signal: AbortSignal }): Promise<T>
  subscribe(listener: (tokens: TokenSet | undefined) => void): () => void
}

/** What the contract needs of a store's test: one session per test, and ways to act as a dead or stalled peer. */
export interface SharedStoreHarness {
  /** A store on this test's session, as another process would open it; `leaseMs` is its lock's lease (or stale period). */
  createStore(options?: { leaseMs?: number }): SharedTokenStore
  /** Leaves a lock behind as a holder that died would; a store made with `leaseMs` takes it over after that. */
  leaveDeadLock(leaseMs: number): Promise<void>
  /** Makes the lock held now look unrenewed past its lease, as if its holder had stalled. */
  expireLock(): Promise<void>
  /** Whether nobody holds the lock. */
  isLockFree(): Promise<boolean>
  /** Resolves once `count` subscriptions listen on this session (at once where `subscribe` is synchronous). */
  subscribed(count: number): Promise<void>
  /** What a stale holder's refused write rejects with: its error class and the name of its lease option. */
  lockLost: {
    errorClass: new (...args: never[]) => Error
    leaseOption: string
    defaultLeaseMs: number
  }
}

const first: TokenSet = { accessToken: 'first-access-secret', refreshToken: 'first-refresh-secret' }
const second: TokenSet = {
  accessToken: 'second-access-secret',
  refreshToken: 'second-refresh-secret',
  expiresAt: 1_800_000_000_000,
}
const signal = () => new AbortController().signal

function deferred<T = void>() {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((done) => {
    resolve = done
  })
  return { promise, resolve }
}

/**
 * The store side of DESIGN.md behaviours 17 to 19, run against one kind of shared store: its lock is exclusive,
 * bounded by the signal and released whatever `critical` does, a dead holder's lock frees up, a stale holder's
 * writes are refused, and `subscribe` tells of the peers' writes and never of the store's own.
 */
export function describeSharedTokenStore(
  name: string,
  setup: () => SharedStoreHarness | Promise<SharedStoreHarness>,
): void {
  let harness: SharedStoreHarness
  beforeEach(async () => {
    harness = await setup()
  })

  async function runExclusively(stores: SharedTokenStore[]): Promise<number> {
    let inside = 0
    let most = 0
    await Promise.all(
      stores.map((store) =>
        store.lock(
          async () => {
            inside++
            most = Math.max(most, inside)
            await sleep(5)
            inside--
          },
          { signal: signal() },
        ),
      ),
    )
    return most
  }

  describe(`behaviour 17: shared refresh, ${name} (the lock)`, () => {
    it('lets one store at a time run, across stores and within one', async () => {
      const stores = [harness.createStore(), harness.createStore(), harness.createStore()]
      expect(await runExclusively([...stores, ...stores])).toBe(1)
      expect(await harness.isLockFree()).toBe(true)
    })

    it("shows the next holder what the previous one wrote, and resolves critical's value", async () => {
      const [writer, reader] = [harness.createStore(), harness.createStore()]
      const entered = deferred()
      const writing = writer.lock(
        async () => {
          entered.resolve()
          await sleep(20)
          await writer.set(first)
          return 'written'
        },
        { signal: signal() },
      )
      await entered.promise
      const read = await reader.lock(() => reader.get(), { signal: signal() })
      expect(await writing).toBe('written')
      expect(read).toEqual(first)
    })

    it('releases the lock when critical rejects, and passes the rejection on', async () => {
      const failure = new Error('refresh failed')
      await expect(
        harness.createStore().lock(() => Promise.reject(failure), { signal: signal() }),
      ).rejects.toBe(failure)
      expect(await harness.isLockFree()).toBe(true)
      expect(await harness.createStore().lock(async () => 'next', { signal: signal() })).toBe(
        'next',
      )
    })

    it("rejects with the signal's reason when it aborts before the lock is granted", async () => {
      const [holder, waiter] = [harness.createStore(), harness.createStore()]
      const entered = deferred()
      const leave = deferred()
      const holding = holder.lock(
        async () => {
          entered.resolve()
          await leave.promise
        },
        { signal: signal() },
      )
      await entered.promise
      const controller = new AbortController()
      const critical = vi.fn(async () => {})
      const waiting = waiter.lock(critical, { signal: controller.signal })
      await sleep(30)
      const reason = new Error('refresh timed out')
      controller.abort(reason)
      await expect(waiting).rejects.toBe(reason)
      // Within one store too, and with a signal that had aborted already.
      await expect(holder.lock(critical, { signal: AbortSignal.abort(reason) })).rejects.toBe(
        reason,
      )
      leave.resolve()
      await holding
      expect(critical).not.toHaveBeenCalled()
      expect(await waiter.lock(async () => 'free', { signal: signal() })).toBe('free')
    })

    it('names the argument when lock is called wrongly', async () => {
      const store = harness.createStore()
      await expect(store.lock('run' as never, { signal: signal() })).rejects.toThrow(
        new TypeError('Expected `critical` to be a function'),
      )
      await expect(store.lock(async () => {}, {} as never)).rejects.toThrow(
        new TypeError('Expected `options.signal` to be an AbortSignal'),
      )
    })
  })

  describe(`behaviour 18: dead holders, ${name}`, () => {
    it('grants a lock that a holder left behind once its lease runs out', async () => {
      await harness.leaveDeadLock(300)
      const critical = vi.fn(async () => {})
      const taking = harness.createStore({ leaseMs: 300 }).lock(critical, { signal: signal() })
      await sleep(100)
      expect(critical).not.toHaveBeenCalled()
      await taking
      expect(critical).toHaveBeenCalledOnce()
    })

    it('renews the lease while its holder works, so that a slow refresh keeps the lock', async () => {
      const [holder, waiter] = [
        harness.createStore({ leaseMs: 150 }),
        harness.createStore({ leaseMs: 150 }),
      ]
      const entered = deferred()
      let inside = 0
      let most = 0
      const work = async () => {
        inside++
        most = Math.max(most, inside)
        entered.resolve()
        await sleep(450)
        inside--
      }
      const holding = holder.lock(work, { signal: signal() })
      await entered.promise
      await waiter.lock(work, { signal: signal() })
      await holding
      expect(most).toBe(1)
    })

    it('stops renewing a lease after its deadline, so that a critical section that never settles frees the lock', async () => {
      const holder = harness.createStore({ leaseMs: 150 })
      const deadline = new AbortController()
      const entered = deferred()
      void holder.lock(
        () => {
          entered.resolve()
          return new Promise<never>(() => {})
        },
        { signal: deadline.signal },
      )
      await entered.promise
      deadline.abort(new Error('refresh timed out'))
      const critical = vi.fn(async () => {})
      const waiting = harness.createStore({ leaseMs: 150 }).lock(critical, { signal: signal() })
      // Renewed for one more lease after the deadline.
      await sleep(100)
      expect(critical).not.toHaveBeenCalled()
      await waiting
      expect(critical).toHaveBeenCalledOnce()
    })

    // The holder "stalled": its lock looks unrenewed past its lease, and a peer took it and wrote.
    async function staleWrite(write: (stalled: SharedTokenStore) => Promise<void>) {
      const [stalled, peer] = [harness.createStore(), harness.createStore()]
      await stalled.set(first)
      const outcome = await stalled
        .lock(
          async () => {
            await harness.expireLock()
            await peer.lock(() => peer.set(second), { signal: signal() })
            await write(stalled)
          },
          { signal: signal() },
        )
        .catch((error: unknown) => error)
      return { outcome, peer }
    }

    it("refuses the stale holder's write with a lock-lost error, and keeps the newer holder's tokens", async () => {
      const { outcome, peer } = await staleWrite((stalled) =>
        stalled.set({ accessToken: 'stale-access-secret' }),
      )
      const { errorClass, leaseOption, defaultLeaseMs } = harness.lockLost
      expect(outcome).toBeInstanceOf(errorClass)
      expect(outcome).toMatchObject({ reason: 'lock-lost' })
      expect((outcome as Error).message).toContain(`\`${leaseOption}\``)
      expect((outcome as Error).message).toContain(`${defaultLeaseMs} ms`)
      expect(inspect(outcome, { depth: 5 })).not.toMatch(/secret/)
      expect(await peer.get()).toEqual(second)
    })

    it("refuses the stale holder's clear too", async () => {
      const { outcome, peer } = await staleWrite((stalled) => stalled.clear())
      expect(outcome).toMatchObject({ reason: 'lock-lost' })
      expect(await peer.get()).toEqual(second)
    })

    it('writes unfenced once the lock is released', async () => {
      const store = harness.createStore()
      await store.lock(() => store.set(first), { signal: signal() })
      await store.set(second)
      expect(await harness.createStore().get()).toEqual(second)
    })
  })

  describe(`behaviour 19: shared session, ${name} (subscribe)`, () => {
    function collect(store: SharedTokenStore) {
      const received: (TokenSet | undefined)[] = []
      const unsubscribe = store.subscribe((tokens) => received.push(tokens))
      return { received, unsubscribe }
    }

    it('tells of tokens another store set, rotated and cleared, in order', async () => {
      const [writer, listener] = [harness.createStore(), harness.createStore()]
      await writer.set(first)
      const { received, unsubscribe } = collect(listener)
      await harness.subscribed(1)
      await writer.set(second)
      await vi.waitFor(() => expect(received).toEqual([second]), { timeout: 1_000 })
      await writer.lock(() => writer.set(first), { signal: signal() })
      await vi.waitFor(() => expect(received).toEqual([second, first]), { timeout: 1_000 })
      await writer.clear()
      await vi.waitFor(() => expect(received).toEqual([second, first, undefined]), {
        timeout: 1_000,
      })
      unsubscribe()
    })

    it('never tells a store of its own writes', async () => {
      const own = harness.createStore()
      const other = collect(harness.createStore())
      const { received, unsubscribe } = collect(own)
      await harness.subscribed(2)
      await own.set(first)
      await vi.waitFor(() => expect(other.received).toEqual([first]), { timeout: 1_000 })
      await own.lock(() => own.set(second), { signal: signal() })
      await vi.waitFor(() => expect(other.received).toEqual([first, second]), { timeout: 1_000 })
      await own.clear()
      await vi.waitFor(() => expect(other.received).toEqual([first, second, undefined]), {
        timeout: 1_000,
      })
      expect(received).toEqual([])
      unsubscribe()
      other.unsubscribe()
    })

    it("tells of a peer's write that follows the store's own, also a peer's clear after its own", async () => {
      const [own, peer] = [harness.createStore(), harness.createStore()]
      const { received, unsubscribe } = collect(own)
      await harness.subscribed(1)
      await own.clear()
      await peer.set(first)
      await vi.waitFor(() => expect(received).toEqual([first]), { timeout: 1_000 })
      await peer.clear()
      await vi.waitFor(() => expect(received).toEqual([first, undefined]), { timeout: 1_000 })
      unsubscribe()
    })

    it('keeps a listener that throws from stopping the others', async () => {
      const error = vi.spyOn(console, 'error').mockImplementation(() => {})
      const [writer, listener] = [harness.createStore(), harness.createStore()]
      const off = listener.subscribe(() => {
        throw new Error('listener failed')
      })
      const { received, unsubscribe } = collect(listener)
      await harness.subscribed(1)
      await writer.set(first)
      await vi.waitFor(() => expect(received).toEqual([first]), { timeout: 1_000 })
      expect(error).toHaveBeenCalledWith(
        expect.stringMatching(/listener threw$/),
        expect.any(Error),
      )
      off()
      unsubscribe()
      error.mockRestore()
    })

    it('stops telling after the last unsubscribe', async () => {
      const [writer, listener] = [harness.createStore(), harness.createStore()]
      const a = collect(listener)
      const b = collect(listener)
      await harness.subscribed(1)
      a.unsubscribe()
      await writer.set(first)
      await vi.waitFor(() => expect(b.received).toEqual([first]), { timeout: 1_000 })
      b.unsubscribe()
      await harness.subscribed(0)
      await writer.set(second)
      // Long enough for a watcher or a message to have told of it.
      await sleep(300)
      expect(a.received).toEqual([])
      expect(b.received).toEqual([first])
    })
  })
}
