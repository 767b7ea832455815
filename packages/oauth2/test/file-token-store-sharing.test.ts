import { access, mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { inspect } from 'node:util'
import { createTokenRefresher, type TokenSet } from '@tokenflight/core'
import { describeSharedTokenStore } from '@tokenflight/store-contract'
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

const tokens: TokenSet = {
  accessToken: 'first-access-secret',
  refreshToken: 'first-refresh-secret',
}
const signal = () => new AbortController().signal

async function ageLock(ms: number): Promise<void> {
  const past = new Date(Date.now() - ms)
  await utimes(`${path}.lock`, past, past)
}

describeSharedTokenStore('fileTokenStore', () => ({
  createStore: ({ leaseMs } = {}) =>
    fileTokenStore(path, leaseMs === undefined ? {} : { lockStaleMs: leaseMs }),
  leaveDeadLock: (_leaseMs) => writeFile(`${path}.lock`, '{"owner":"a process that died"}\n'),
  expireLock: () => ageLock(60_000),
  isLockFree: () =>
    access(`${path}.lock`).then(
      () => false,
      () => true,
    ),
  // subscribe reads the file before it returns: every later write is news.
  subscribed: async () => {},
  lockLost: { errorClass: TokenFileError, leaseOption: 'lockStaleMs', defaultLeaseMs: 10_000 },
}))

describe('fileTokenStore: the lock file', () => {
  it('leaves nothing beside the token file once released', async () => {
    const store = fileTokenStore(path)
    await store.lock(() => store.set(tokens), { signal: signal() })
    expect(await readdir(directory)).toEqual(['tokens.json'])
  })

  it('is taken over at once when it was left unrenewed for longer than lockStaleMs', async () => {
    await writeFile(`${path}.lock`, '{"owner":"a process that died","pid":999999}\n')
    await ageLock(11_000)
    expect(await fileTokenStore(path).lock(async () => 'taken', { signal: signal() })).toBe('taken')
  })

  it('is taken over by one of many waiters at a time, even empty', async () => {
    await writeFile(`${path}.lock`, '')
    await ageLock(60_000)
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
    expect(await readdir(directory)).toEqual([])
  })

  it('names the path in the lock-lost error', async () => {
    const [stalled, peer] = [fileTokenStore(path), fileTokenStore(path)]
    const outcome = await stalled
      .lock(
        async () => {
          await ageLock(60_000)
          await peer.lock(() => peer.set(tokens), { signal: signal() })
          await stalled.set({ accessToken: 'stale-access-secret' })
        },
        { signal: signal() },
      )
      .catch((error: unknown) => error)
    expect(outcome).toMatchObject({ name: 'TokenFileError', reason: 'lock-lost', path })
    expect((outcome as Error).message).toBe(
      `Refused to write the token file ${path}: its lock passed to another process after this one held it for over \`lockStaleMs\` (10000 ms) without renewing it`,
    )
    expect(await readdir(directory)).toEqual(['tokens.json'])
  })
})

describe('fileTokenStore: when the token file cannot be locked', () => {
  it('rejects with the path and the system error code when the lock is not a file', async () => {
    await mkdir(`${path}.lock`)
    const error = await fileTokenStore(path)
      .lock(async () => {}, { signal: signal() })
      .catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(TokenFileError)
    expect(error).toMatchObject({ name: 'TokenFileError', reason: 'lock-failed', path })
    expect((error as Error).message).toBe(`Could not lock the token file ${path} (EISDIR)`)
  })

  // procfs lets nobody, root included, create files; a regular file where the directory should be does the same.
  it.each([
    ['/proc/self/tokenflight-tokens.json', 'ENOENT'],
    ['not-a-directory/tokens.json', 'ENOTDIR'],
  ])(
    'runs critical without the lock where nothing can be created (%s), with one warning',
    async (location, code) => {
      if (location.startsWith('/proc') && process.platform !== 'linux') return
      await writeFile(join(directory, 'not-a-directory'), '')
      const unwritable = location.startsWith('/') ? location : join(directory, location)
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
      const store = fileTokenStore(unwritable)
      expect(await store.lock(async () => 'ran', { signal: signal() })).toBe('ran')
      expect(await store.lock(async () => 'again', { signal: signal() })).toBe('again')
      expect(warn).toHaveBeenCalledOnce()
      expect(warn).toHaveBeenCalledWith(
        `tokenflight: could not create the lock file ${unwritable}.lock (${code}): refreshing without it. Nothing can be written in that directory, so the tokens cannot be saved and processes sharing the file cannot coordinate`,
      )
      const error = await store.set(tokens).catch((caught: unknown) => caught)
      expect(error).toMatchObject({ name: 'TokenFileError', reason: 'unwritable' })
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

describe('fileTokenStore: subscribe', () => {
  it('skips a corrupt file with a warning that names the path only, and goes on', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const received: (TokenSet | undefined)[] = []
    const unsubscribe = fileTokenStore(path).subscribe((next) => received.push(next))
    await writeFile(path, '{"accessToken": "torn-secret')
    await vi.waitFor(() => expect(warn).toHaveBeenCalled(), { timeout: 1_000 })
    expect(warn).toHaveBeenCalledWith(
      `tokenflight: The token file ${path} is corrupt (not JSON): delete it and sign in again; waiting for a valid one`,
    )
    expect(inspect(warn.mock.calls)).not.toMatch(/secret/)
    await fileTokenStore(path).set(tokens)
    await vi.waitFor(() => expect(received).toEqual([tokens]), { timeout: 1_000 })
    unsubscribe()
  })

  it('finds a file whose directory appears only later, by polling', async () => {
    const nested = join(directory, 'later', 'tokens.json')
    const received: (TokenSet | undefined)[] = []
    const unsubscribe = fileTokenStore(nested, { pollIntervalMs: 50 }).subscribe((next) =>
      received.push(next),
    )
    await fileTokenStore(nested).set(tokens)
    await vi.waitFor(() => expect(received).toEqual([tokens]), { timeout: 1_000 })
    unsubscribe()
  })
})

describe('fileTokenStore: a lock file left by a process that died, through a refresher', () => {
  it('refreshes once the lock goes stale, and leaves no lock behind', async () => {
    await fileTokenStore(path).set({ ...tokens, expiresAt: Date.now() - 1 })
    await writeFile(`${path}.lock`, '{"owner":"a process that died","pid":999999}\n')
    const refresh = vi.fn(async () => ({ accessToken: 'next-access-token', refreshToken: 'next' }))
    const refresher = createTokenRefresher({
      store: fileTokenStore(path, { lockStaleMs: 300 }),
      refresh,
    })
    expect(await refresher.getAccessToken()).toBe('next-access-token')
    expect(refresh).toHaveBeenCalledOnce()
    expect(await fileTokenStore(path).get()).toMatchObject({ accessToken: 'next-access-token' })
    expect(await readdir(directory)).toEqual(['tokens.json'])
  })
})
