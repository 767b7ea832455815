import { randomUUID } from 'node:crypto'
import { type FSWatcher, unlinkSync, watch } from 'node:fs'
import { link, mkdir, open, readFile, rename, stat, unlink, utimes } from 'node:fs/promises'
import { hostname } from 'node:os'
import { basename, dirname } from 'node:path'
import { createLockQueue, runUnderLease } from '@tokenflight/core/store'

/** The lock beside a token file: `<file>.lock`, a small file naming its holder, kept fresh while held. */
export interface TokenFileLock {
  /** Runs `critical` holding the lock; rejects with the signal's reason if it aborts before the lock is granted. */
  run<T>(critical: () => Promise<T>, signal: AbortSignal): Promise<T>
  /** Whether this store holds the lock now (its writes must then be fenced). */
  readonly held: boolean
  /** Resolves while the lock is still this holder's; rejects with `'lost'` once another took it over. */
  confirmHeld(): Promise<void>
}

/** Thrown inside the lock module only; the store turns these into `TokenFileError`s naming the file. */
export class LockFailure extends Error {
  constructor(
    /** `'unwritable'`: nothing can be created beside the file, so nobody can write it either. */
    readonly kind: 'lost' | 'failed' | 'unwritable',
    options?: { cause?: unknown },
  ) {
    super(`Lock ${kind}`, options)
  }
}

// The directory refuses new files: the token file cannot be written there either.
const unwritableCodes = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOENT', 'ENOTDIR'])

function creationFailure(error: unknown): LockFailure {
  return new LockFailure(unwritableCodes.has(codeOf(error) ?? '') ? 'unwritable' : 'failed', {
    cause: error,
  })
}

interface Holding {
  content: string
  lost: boolean
  heartbeat: ReturnType<typeof setInterval>
}

const firstRetryMs = 5
const maxRetryMs = 50

/**
 * Creates the lock of one token file. Hand-written rather than proper-lockfile 4.1.2: its stale takeover (stat,
 * rmdir, mkdir) lets two waiters both win (node-proper-lockfile issue #121, open), it takes no AbortSignal, and it
 * names no holder, which a fenced write needs to check.
 */
export function createTokenFileLock(
  file: string,
  staleMs: number,
  onUnwritable: (failure: LockFailure) => void,
): TokenFileLock {
  const lockPath = `${file}.lock`
  // Calls of one store queue here first, so that the file only arbitrates between stores.
  const queue = createLockQueue()
  let holding: Holding | undefined

  async function acquire(signal: AbortSignal): Promise<Holding> {
    const content = `${JSON.stringify({ owner: randomUUID(), pid: process.pid, hostname: hostname() })}\n`
    let retryMs = firstRetryMs
    let release: ReleaseWatch | undefined
    try {
      for (;;) {
        signal.throwIfAborted()
        if (await tryCreate(content)) return hold(content)
        if (await takeOverIfStale()) continue
        // Woken as soon as the holder removes the lock; the back-off is for file systems that report nothing.
        release ??= watchRelease(lockPath)
        await release.next(retryMs * (0.5 + Math.random() / 2), signal)
        retryMs = Math.min(maxRetryMs, retryMs * 1.5)
      }
    } finally {
      release?.close()
    }
  }

  function hold(content: string): Holding {
    const holding: Holding = {
      content,
      lost: false,
      heartbeat: setInterval(() => void keepFresh(holding), Math.max(1, staleMs / 3)),
    }
    // A lock must not keep the process alive, and one left behind by a normal exit need not wait to go stale.
    holding.heartbeat.unref()
    process.on('exit', removeOnExit)
    return holding
  }

  async function tryCreate(content: string, madeDirectory = false): Promise<boolean> {
    let handle: Awaited<ReturnType<typeof open>>
    try {
      handle = await open(lockPath, 'wx', 0o600)
    } catch (error) {
      if (codeOf(error) === 'EEXIST') return false
      if (codeOf(error) !== 'ENOENT' || madeDirectory) throw creationFailure(error)
      try {
        await mkdir(dirname(lockPath), { recursive: true, mode: 0o700 })
      } catch (mkdirError) {
        throw creationFailure(mkdirError)
      }
      return tryCreate(content, true)
    }
    try {
      await handle.writeFile(content)
    } catch (error) {
      await handle.close().catch(() => {})
      await unlink(lockPath).catch(() => {})
      throw new LockFailure('failed', { cause: error })
    }
    await handle.close()
    return true
  }

  // True when a stale lock was removed (or the lock vanished), so that creating it can be tried again at once.
  async function takeOverIfStale(): Promise<boolean> {
    let content: string
    let modifiedAtMs: number
    try {
      content = await readFile(lockPath, 'utf8')
      modifiedAtMs = (await stat(lockPath)).mtimeMs
    } catch (error) {
      if (codeOf(error) === 'ENOENT') return true
      throw new LockFailure('failed', { cause: error })
    }
    if (Date.now() - modifiedAtMs <= staleMs) return false
    // A holder that dies or stalls may leave an empty file behind if it stopped between creating and writing
    // it: judged by its age like any other.
    await claim(content)
    return true
  }

  // Removes the lock only if it still holds `expected`. Renaming it aside first means two claimers cannot both
  // remove it, and one that took a newer holder's lock by mistake links it back in place.
  async function claim(expected: string): Promise<boolean> {
    const aside = `${lockPath}.${randomUUID()}.claimed`
    try {
      await rename(lockPath, aside)
    } catch (error) {
      if (codeOf(error) === 'ENOENT') return false
      throw new LockFailure('failed', { cause: error })
    }
    try {
      if ((await readFile(aside, 'utf8')) === expected) return true
      // Another holder's lock: put it back, unless yet another holder created one meanwhile.
      await link(aside, lockPath).catch(() => {})
      return false
    } finally {
      await unlink(aside).catch(() => {})
    }
  }

  async function keepFresh(current: Holding): Promise<void> {
    if (current.lost) return
    try {
      if ((await readFile(lockPath, 'utf8')) !== current.content) {
        markLost(current)
        return
      }
      const now = new Date()
      await utimes(lockPath, now, now)
    } catch (error) {
      if (codeOf(error) === 'ENOENT') markLost(current)
      // Other failures are tried again at the next beat; the lock goes stale if they persist.
    }
  }

  function markLost(current: Holding): void {
    current.lost = true
    clearInterval(current.heartbeat)
  }

  async function release(current: Holding): Promise<void> {
    clearInterval(current.heartbeat)
    process.off('exit', removeOnExit)
    if (current.lost) return
    // A failed release is no harm: the lock goes stale after staleMs and is taken over.
    await claim(current.content).catch(() => {})
  }

  function removeOnExit(): void {
    if (holding === undefined || holding.lost) return
    try {
      unlinkSync(lockPath)
    } catch {
      // Gone already, or not removable: it goes stale.
    }
  }

  return {
    get held() {
      return holding !== undefined
    },
    async confirmHeld() {
      const current = holding
      if (current === undefined || current.lost) throw new LockFailure('lost')
      let content: string
      try {
        content = await readFile(lockPath, 'utf8')
      } catch (error) {
        if (codeOf(error) !== 'ENOENT') throw new LockFailure('failed', { cause: error })
        content = ''
      }
      if (content !== current.content) {
        markLost(current)
        throw new LockFailure('lost')
      }
    },
    run(critical, signal) {
      return queue(async () => {
        try {
          holding = await acquire(signal)
        } catch (error) {
          if (error instanceof LockFailure && error.kind === 'unwritable') {
            // A store nobody can write cannot be shared anyway: refreshing without the lock keeps the session
            // going in this process, and its writes fail with their own typed error.
            onUnwritable(error)
            return critical()
          }
          throw error
        }
        const current = holding
        return runUnderLease(critical, {
          signal,
          leaseMs: staleMs,
          stopRenewing: () => clearInterval(current.heartbeat),
          release: () => {
            holding = undefined
            return release(current)
          },
        })
      }, signal)
    },
  }
}

interface ReleaseWatch {
  /** Resolves when the lock file is removed or renamed, or after `ms`; rejects if the signal aborts first. */
  next(ms: number, signal: AbortSignal): Promise<void>
  close(): void
}

function watchRelease(lockPath: string): ReleaseWatch {
  const name = basename(lockPath)
  // A change seen while nobody waits is kept for the next wait.
  let changed = false
  let wake = () => {
    changed = true
  }
  const onChange = () => wake()
  let watcher: FSWatcher | undefined
  try {
    watcher = watch(dirname(lockPath), { persistent: false }, (_event, file) => {
      if (file === null || file === name) onChange()
    })
    watcher.on('error', () => watcher?.close())
  } catch {
    // Not watchable: the back-off alone paces the retries.
  }
  return {
    next: (ms, signal) =>
      new Promise((resolve, reject) => {
        if (changed) {
          changed = false
          resolve()
          return
        }
        const settle = (outcome: () => void) => {
          clearTimeout(timer)
          signal.removeEventListener('abort', onAbort)
          wake = () => {
            changed = true
          }
          outcome()
        }
        const onAbort = () => settle(() => reject(signal.reason))
        const timer = setTimeout(() => settle(resolve), ms)
        wake = () => settle(resolve)
        signal.addEventListener('abort', onAbort, { once: true })
      }),
    close: () => watcher?.close(),
  }
}

export function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}
