import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { inspect } from 'node:util'
import type { TokenSet } from '@tokenflight/core'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { fileTokenStore, TokenFileError } from '../src/node/index.js'

// Two stores on one path are two holders, as two processes would be: each lock names its own owner.
// Real processes (killed, stopped) are in packages/process-harness.

let directory: string
let path: string
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'tokenflight-shared-file-'))
  path = join(directory, 'tokens.json')
})
afterEach(async () => {
  vi.restoreAllMocks()
  await rm(directory, { recursive: true, force: true })
})

const first: TokenSet = { accessToken: 'first-access-secret', refreshToken: 'first-refresh-secret' }
const second: TokenSet = {
  accessToken: 'second-access-secret',
  refreshToken: 'second-refresh-secret',
}
const signal = () => new AbortController().signal

function deferred<T = void>() {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((done) => {
    resolve = done
  })
  return { promise, resolve }
}

describe('shared refresh: the lock of a token file', () => {
  it('lets one store at a time run, across stores and within one', async () => {
    const stores = [fileTokenStore(path), fileTokenStore(path), fileTokenStore(path)]
    let inside = 0
    let most = 0
    let runs = 0
    await Promise.all(
      [...stores, ...stores].map((store) =>
        store.lock(
          async () => {
            inside++
            most = Math.max(most, inside)
            await sleep(5)
            runs++
            inside--
          },
          { signal: signal() },
        ),
      ),
    )
    expect(runs).toBe(6)
    expect(most).toBe(1)
    expect(await readdir(directory)).toEqual([])
  })

  it("shows the next holder what the previous one wrote, and resolves critical's value", async () => {
    const [writer, reader] = [fileTokenStore(path), fileTokenStore(path)]
    const written = deferred()
    const writing = writer.lock(
      async () => {
        written.resolve()
        await sleep(20)
        await writer.set(first)
        return 'written'
      },
      { signal: signal() },
    )
    await written.promise
    const read = await reader.lock(() => reader.get(), { signal: signal() })
    expect(await writing).toBe('written')
    expect(read).toEqual(first)
  })

  it('releases the lock when critical rejects, and passes the rejection on', async () => {
    const store = fileTokenStore(path)
    const failure = new Error('refresh failed')
    await expect(store.lock(() => Promise.reject(failure), { signal: signal() })).rejects.toBe(
      failure,
    )
    expect(await fileTokenStore(path).lock(async () => 'next', { signal: signal() })).toBe('next')
    expect(await readdir(directory)).toEqual([])
  })

  it("rejects with the signal's reason when it aborts before the lock is granted", async () => {
    const [holder, waiter] = [fileTokenStore(path), fileTokenStore(path)]
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
    await expect(holder.lock(critical, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason)
    leave.resolve()
    await holding
    expect(critical).not.toHaveBeenCalled()
    expect(await waiter.lock(async () => 'free', { signal: signal() })).toBe('free')
  })

  it('names the option when lock is called wrongly', async () => {
    const store = fileTokenStore(path)
    await expect(store.lock('run' as never, { signal: signal() })).rejects.toThrow(
      new TypeError('Expected `critical` to be a function'),
    )
    await expect(store.lock(async () => {}, {} as never)).rejects.toThrow(
      new TypeError('Expected `options.signal` to be an AbortSignal'),
    )
  })
})

describe('dead holders: a lock left behind', () => {
  it('is taken over at once when it has not been renewed for lockStaleMs', async () => {
    await writeFile(`${path}.lock`, '{"owner":"a process that died","pid":999999}\n')
    const past = new Date(Date.now() - 11_000)
    await utimes(`${path}.lock`, past, past)
    expect(await fileTokenStore(path).lock(async () => 'taken', { signal: signal() })).toBe('taken')
    expect(await readdir(directory)).toEqual([])
  })

  it('is taken over once it goes stale, with lockStaleMs configured', async () => {
    await writeFile(`${path}.lock`, '')
    const store = fileTokenStore(path, { lockStaleMs: 300 })
    const waited = vi.fn()
    const taking = store.lock(async () => waited(), { signal: signal() })
    await sleep(100)
    expect(waited).not.toHaveBeenCalled()
    await taking
    expect(waited).toHaveBeenCalledOnce()
  })

  it('is taken over by one of many waiters at a time', async () => {
    await writeFile(`${path}.lock`, 'stale')
    const past = new Date(Date.now() - 60_000)
    await utimes(`${path}.lock`, past, past)
    let inside = 0
    let most = 0
    await Promise.all(
      Array.from({ length: 8 }, () =>
        fileTokenStore(path).lock(
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
    expect(most).toBe(1)
  })

  it('is renewed while its holder works, so that a slow refresh keeps it', async () => {
    const [holder, waiter] = [
      fileTokenStore(path, { lockStaleMs: 150 }),
      fileTokenStore(path, { lockStaleMs: 150 }),
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
})

describe('dead holders: fenced writes of a holder that lost its lock', () => {
  // The holder "stalled": its lock file looks unrenewed, and another store took it over.
  async function loseLockTo(
    newHolder: ReturnType<typeof fileTokenStore>,
    newTokens: TokenSet,
  ): Promise<void> {
    const past = new Date(Date.now() - 60_000)
    await utimes(`${path}.lock`, past, past)
    await newHolder.lock(() => newHolder.set(newTokens), { signal: signal() })
  }

  it("refuses to overwrite the newer holder's tokens, with a lock-lost error", async () => {
    const [stalled, peer] = [fileTokenStore(path), fileTokenStore(path)]
    await stalled.set(first)
    const outcome = await stalled
      .lock(
        async () => {
          await loseLockTo(peer, second)
          await stalled.set({ accessToken: 'stale-access-secret' })
        },
        { signal: signal() },
      )
      .catch((error: unknown) => error)
    expect(outcome).toBeInstanceOf(TokenFileError)
    expect(outcome).toMatchObject({ name: 'TokenFileError', reason: 'lock-lost', path })
    expect((outcome as Error).message).toBe(
      `Refused to write the token file ${path}: its lock passed to another process after this one held it for over \`lockStaleMs\` (10000 ms) without renewing it`,
    )
    expect(inspect(outcome, { depth: 5 })).not.toMatch(/secret/)
    expect(await peer.get()).toEqual(second)
    expect((await readdir(directory)).sort()).toEqual(['tokens.json'])
  })

  it('refuses to clear them too', async () => {
    const [stalled, peer] = [fileTokenStore(path), fileTokenStore(path)]
    const outcome = await stalled
      .lock(
        async () => {
          await loseLockTo(peer, second)
          await stalled.clear()
        },
        { signal: signal() },
      )
      .catch((error: unknown) => error)
    expect(outcome).toMatchObject({ reason: 'lock-lost' })
    expect(await peer.get()).toEqual(second)
  })

  it('writes as before once the lock is released, and outside any lock', async () => {
    const store = fileTokenStore(path)
    await store.lock(() => store.set(first), { signal: signal() })
    await store.set(second)
    expect(await store.get()).toEqual(second)
  })
})

describe('when the token file cannot be locked', () => {
  it('rejects with the path and the system error code', async () => {
    const blocker = join(directory, 'not-a-directory')
    await writeFile(blocker, '')
    const blocked = join(blocker, 'tokens.json')
    const error = await fileTokenStore(blocked)
      .lock(async () => {}, { signal: signal() })
      .catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(TokenFileError)
    expect(error).toMatchObject({ name: 'TokenFileError', reason: 'lock-failed', path: blocked })
    expect((error as Error).message).toMatch(
      /^Could not lock the token file .+ \((EEXIST|ENOTDIR)\)$/,
    )
  })

  // procfs lets nobody, root included, create files.
  it.runIf(process.platform === 'linux')(
    'rejects in a directory where nothing can be created',
    async () => {
      const error = await fileTokenStore('/proc/self/tokenflight-tokens.json')
        .lock(async () => {}, { signal: signal() })
        .catch((caught: unknown) => caught)
      expect(error).toMatchObject({ name: 'TokenFileError', reason: 'lock-failed' })
      expect((error as Error).message).toMatch(
        /^Could not lock the token file \/proc\/self\/tokenflight-tokens\.json \(E[A-Z]+\)$/,
      )
    },
  )

  it('names a bad option', () => {
    expect(() => fileTokenStore(path, { lockStaleMs: 0 })).toThrow(
      new TypeError('Expected `lockStaleMs` to be a positive number of milliseconds'),
    )
    expect(() => fileTokenStore(path, { pollIntervalMs: Number.NaN })).toThrow(
      new TypeError('Expected `pollIntervalMs` to be a positive number of milliseconds'),
    )
    expect(() => fileTokenStore(path, { staleMs: 5 } as never)).toThrow(
      new TypeError('Unknown option `staleMs`'),
    )
  })
})

describe('shared session: subscribe', () => {
  function collect(store: ReturnType<typeof fileTokenStore>) {
    const received: (TokenSet | undefined)[] = []
    const unsubscribe = store.subscribe((tokens) => received.push(tokens))
    return { received, unsubscribe }
  }

  it('tells of tokens another store set, rotated and cleared, in order', async () => {
    const [writer, listener] = [fileTokenStore(path), fileTokenStore(path)]
    await writer.set(first)
    const { received, unsubscribe } = collect(listener)
    await sleep(50)
    await writer.set(second)
    await vi.waitFor(() => expect(received).toEqual([second]), { timeout: 1_000 })
    await writer.clear()
    await vi.waitFor(() => expect(received).toEqual([second, undefined]), { timeout: 1_000 })
    unsubscribe()
  })

  it('never tells a store of its own writes', async () => {
    const store = fileTokenStore(path)
    const { received, unsubscribe } = collect(store)
    await sleep(50)
    await store.set(first)
    await store.set(second)
    await store.lock(() => store.set(first), { signal: signal() })
    await store.clear()
    // Watching and two polls had their chance.
    await sleep(300)
    expect(received).toEqual([])
    unsubscribe()
  })

  it("tells of a peer's write that follows this store's own, even of equal tokens after a clear", async () => {
    const [own, peer] = [fileTokenStore(path), fileTokenStore(path)]
    const { received, unsubscribe } = collect(own)
    await sleep(50)
    await own.clear()
    await peer.set(first)
    await vi.waitFor(() => expect(received).toEqual([first]), { timeout: 1_000 })
    await peer.clear()
    await vi.waitFor(() => expect(received).toEqual([first, undefined]), { timeout: 1_000 })
    unsubscribe()
  })

  it('skips a corrupt file with a warning that names the path only, and goes on', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const [writer, listener] = [fileTokenStore(path), fileTokenStore(path)]
    const { received, unsubscribe } = collect(listener)
    await sleep(50)
    await writeFile(path, '{"accessToken": "torn-secret')
    await vi.waitFor(() => expect(warn).toHaveBeenCalled(), { timeout: 1_000 })
    expect(String(warn.mock.calls[0]?.[0])).toBe(
      `tokenflight: The token file ${path} is corrupt (not JSON): delete it and sign in again; waiting for a valid one`,
    )
    expect(inspect(warn.mock.calls)).not.toMatch(/secret/)
    await writer.set(second)
    await vi.waitFor(() => expect(received).toEqual([second]), { timeout: 1_000 })
    unsubscribe()
  })

  it('finds a file whose directory appears only later, by polling', async () => {
    const nested = join(directory, 'later', 'tokens.json')
    const listener = fileTokenStore(nested, { pollIntervalMs: 50 })
    const { received, unsubscribe } = collect(listener)
    await sleep(50)
    await fileTokenStore(nested).set(first)
    await vi.waitFor(() => expect(received).toEqual([first]), { timeout: 1_000 })
    unsubscribe()
  })

  it('stops telling after the last unsubscribe', async () => {
    const [writer, listener] = [fileTokenStore(path), fileTokenStore(path)]
    const a = collect(listener)
    const b = collect(listener)
    await sleep(50)
    a.unsubscribe()
    await writer.set(first)
    await vi.waitFor(() => expect(b.received).toEqual([first]), { timeout: 1_000 })
    b.unsubscribe()
    await writer.set(second)
    await sleep(300)
    expect(a.received).toEqual([])
    expect(b.received).toEqual([first])
  })

  it('keeps a listener that throws from stopping the others', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {})
    const [writer, listener] = [fileTokenStore(path), fileTokenStore(path)]
    const off = listener.subscribe(() => {
      throw new Error('listener failed')
    })
    const { received, unsubscribe } = collect(listener)
    await sleep(50)
    await writer.set(first)
    await vi.waitFor(() => expect(received).toEqual([first]), { timeout: 1_000 })
    expect(error).toHaveBeenCalledWith(
      'tokenflight: a token file listener threw',
      expect.any(Error),
    )
    off()
    unsubscribe()
    expect(await readFile(path, 'utf8')).toContain('first-access-secret')
  })
})
