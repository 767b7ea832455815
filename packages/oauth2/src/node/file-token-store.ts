import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { TokenSet, TokenStore } from '@tokenflight/core'
import { TokenflightError } from '@tokenflight/core'
import { lockSignalOf } from '@tokenflight/core/store'
import { checkOptionsObject, optionalDuration } from '../option-checks.js'
import { codeOf, createTokenFileLock, LockFailure } from './token-file-lock.js'
import { unknownContent, watchFileContent } from './token-file-watch.js'

/**
 * What went wrong with a token file: it could not be read, held no token set, could not be written, could not be
 * locked, or this store's lock passed to another process (a fenced write was refused).
 */
export type TokenFileFailureReason =
  | 'unreadable'
  | 'corrupt'
  | 'unwritable'
  | 'lock-failed'
  | 'lock-lost'

/**
 * A token file could not be read, holds something other than a token set, could not be written or locked; the
 * message names the path and the system error code, never the file's contents.
 */
export class TokenFileError extends TokenflightError {
  override name = 'TokenFileError' as const
  override readonly code = 'TOKEN_FILE_ERROR' as const
  readonly path: string
  readonly reason: TokenFileFailureReason

  constructor(
    message: string,
    details: { path: string; reason: TokenFileFailureReason; cause?: unknown },
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause })
    this.path = details.path
    this.reason = details.reason
  }
}

/** Options of {@link fileTokenStore}. */
export interface FileTokenStoreOptions {
  /**
   * Milliseconds after which a lock that its holder stopped renewing (the process died or stalled) is taken over.
   * The holder renews it every third of this while it refreshes. Default 10 000.
   */
  lockStaleMs?: number
  /**
   * Milliseconds between checks of the file while someone is subscribed, besides watching its directory, for file
   * systems where watching reports nothing. Default 500.
   */
  pollIntervalMs?: number
}

/** The `TokenStore` of {@link fileTokenStore}: each method returns a promise, and it has `lock` and `subscribe`. */
export interface FileTokenStore extends TokenStore {
  get(): Promise<TokenSet | undefined>
  set(tokens: TokenSet): Promise<void>
  clear(): Promise<void>
  lock<T>(critical: () => Promise<T>, options: { signal: AbortSignal }): Promise<T>
  subscribe(listener: (tokens: TokenSet | undefined) => void): () => void
}

const knownOptions = new Set(['lockStaleMs', 'pollIntervalMs'])

/**
 * A token store that keeps the tokens in one JSON file, readable by its owner only (mode 0600), replaced atomically
 * on each write so that a crash never leaves half a file; a missing file means no tokens yet. Processes that share
 * the file share the session: a lock file beside it (`<file>.lock`) lets one of them refresh at a time, and each
 * hears of the tokens the others write.
 *
 * @example
 * const refresher = createTokenRefresher({
 *   store: fileTokenStore(join(homedir(), '.config', 'my-cli', 'tokens.json')),
 *   refresh: refreshTokenGrant({ issuer, clientId }),
 * })
 */
export function fileTokenStore(
  path: string | URL,
  options: FileTokenStoreOptions = {},
): FileTokenStore {
  if (!(path instanceof URL) && (typeof path !== 'string' || path === '')) {
    throw new TypeError('Expected `path` to be a non-empty string or a file URL')
  }
  checkOptionsObject(options, knownOptions, 'no options')
  const lockStaleMs = optionalDuration(options.lockStaleMs, 'lockStaleMs', 10_000)
  const pollIntervalMs = optionalDuration(options.pollIntervalMs, 'pollIntervalMs', 500)
  const file = resolve(path instanceof URL ? fileURLToPath(path) : path)
  let warnedUnwritable = false
  const fileLock = createTokenFileLock(file, lockStaleMs, (failure) => {
    if (warnedUnwritable) return
    warnedUnwritable = true
    console.warn(
      `tokenflight: could not create the lock file ${file}.lock${codeSuffix(failure.cause)}: refreshing without it. Nothing can be written in that directory, so the tokens cannot be saved and processes sharing the file cannot coordinate`,
    )
  })
  const listeners = new Set<(tokens: TokenSet | undefined) => void>()
  let stopWatching: (() => void) | undefined
  // The content last seen by the watcher, and what this store wrote that the watcher has not seen yet: neither is
  // news to report, so this store never hears of its own writes.
  let known: string | undefined | typeof unknownContent = unknownContent
  const unseenWrites: { content: string | undefined; done: boolean }[] = []

  // While this store holds the lock, a write goes through only if the lock is still its own.
  async function confirmLock(): Promise<void> {
    if (!fileLock.held) return
    try {
      await fileLock.confirmHeld()
    } catch (error) {
      throw lockError(file, error, lockStaleMs)
    }
  }

  async function write(content: string | undefined, perform: () => Promise<void>): Promise<void> {
    const entry = { content, done: false }
    unseenWrites.push(entry)
    // A store nobody subscribes to has no watcher to see its writes: keep the memory of them short.
    if (unseenWrites.length > 8) unseenWrites.shift()
    try {
      await perform()
      entry.done = true
    } catch (error) {
      unseenWrites.splice(unseenWrites.indexOf(entry), 1)
      throw error
    }
  }

  function onFileChange(content: string | undefined): void {
    const previous = known
    known = content
    const own = unseenWrites.findIndex((entry) => entry.content === content)
    if (own >= 0) {
      unseenWrites.splice(own, 1)
      return
    }
    // Another store wrote: this store's finished writes are behind the file now.
    for (let index = unseenWrites.length - 1; index >= 0; index--) {
      if (unseenWrites[index]?.done) unseenWrites.splice(index, 1)
    }
    if (previous === unknownContent) return
    let tokens: TokenSet | undefined
    try {
      tokens = content === undefined ? undefined : parseTokenFile(file, content)
    } catch (error) {
      console.warn(`tokenflight: ${(error as Error).message}; waiting for a valid one`)
      return
    }
    for (const listener of listeners) {
      try {
        listener(tokens)
      } catch (error) {
        console.error('tokenflight: a token file listener threw', error)
      }
    }
  }

  return {
    get: () => readTokenFile(file),
    set: async (tokens) => {
      const content = serializeTokens(file, tokens)
      await write(content, () => writeTokenFile(file, content, confirmLock))
    },
    clear: () =>
      write(undefined, async () => {
        await confirmLock()
        try {
          await rm(file, { force: true })
        } catch (error) {
          throw new TokenFileError(`Could not delete the token file ${file}${codeSuffix(error)}`, {
            path: file,
            reason: 'unwritable',
            cause: error,
          })
        }
      }),
    lock: async (critical, lockOptions) => {
      const signal = lockSignalOf(critical, lockOptions)
      try {
        return await fileLock.run(critical, signal)
      } catch (error) {
        throw error instanceof LockFailure ? lockError(file, error, lockStaleMs) : error
      }
    },
    subscribe: (listener) => {
      if (typeof listener !== 'function')
        throw new TypeError('Expected `listener` to be a function')
      listeners.add(listener)
      if (stopWatching === undefined) {
        // Read at once, so that any write after subscribe returns is news, even one made before the first check.
        known = readSnapshot(file)
      }
      stopWatching ??= watchFileContent(file, {
        pollIntervalMs,
        known: () => known,
        onChange: onFileChange,
      })
      return () => {
        listeners.delete(listener)
        if (listeners.size > 0) return
        stopWatching?.()
        stopWatching = undefined
      }
    },
  }
}

function readSnapshot(file: string): string | undefined | typeof unknownContent {
  try {
    return readFileSync(file, 'utf8')
  } catch (error) {
    return codeOf(error) === 'ENOENT' ? undefined : unknownContent
  }
}

function lockError(file: string, error: unknown, lockStaleMs: number): TokenFileError {
  if (error instanceof LockFailure && error.kind === 'lost') {
    return new TokenFileError(
      `Refused to write the token file ${file}: its lock passed to another process after this one held it for over \`lockStaleMs\` (${lockStaleMs} ms) without renewing it`,
      { path: file, reason: 'lock-lost' },
    )
  }
  const cause = error instanceof LockFailure ? error.cause : error
  return new TokenFileError(`Could not lock the token file ${file}${codeSuffix(cause)}`, {
    path: file,
    reason: 'lock-failed',
    cause,
  })
}

async function readTokenFile(file: string): Promise<TokenSet | undefined> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    if (codeOf(error) === 'ENOENT') return undefined
    throw new TokenFileError(`Could not read the token file ${file}${codeSuffix(error)}`, {
      path: file,
      reason: 'unreadable',
      cause: error,
    })
  }
  return parseTokenFile(file, text)
}

function parseTokenFile(file: string, text: string): TokenSet {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    // No cause: a JSON parse error quotes the text around the fault, and that text may be a token.
    throw new TokenFileError(
      `The token file ${file} is corrupt (not JSON): delete it and sign in again`,
      { path: file, reason: 'corrupt' },
    )
  }
  const accessToken =
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as { accessToken?: unknown }).accessToken
      : undefined
  if (typeof accessToken !== 'string' || accessToken === '') {
    throw new TokenFileError(
      `The token file ${file} is corrupt (no token set with an \`accessToken\`): delete it and sign in again`,
      { path: file, reason: 'corrupt' },
    )
  }
  return value as TokenSet
}

async function writeTokenFile(
  file: string,
  content: string,
  beforeRename: () => Promise<void>,
): Promise<void> {
  const directory = dirname(file)
  // In the same directory, so that the rename stays on one file system and is atomic.
  const temporary = join(directory, `.${basename(file)}.${randomUUID()}.tmp`)
  let renamed = false
  try {
    await mkdir(directory, { recursive: true, mode: 0o700 })
    // Created with mode 0600 from the start: the tokens are never readable by others, not even for a moment.
    const handle = await open(temporary, 'wx', 0o600)
    try {
      await handle.writeFile(content)
      await handle.sync()
    } finally {
      await handle.close()
    }
    await beforeRename()
    await rename(temporary, file)
    renamed = true
  } catch (error) {
    if (error instanceof TokenFileError) throw error
    throw new TokenFileError(`Could not write the token file ${file}${codeSuffix(error)}`, {
      path: file,
      reason: 'unwritable',
      cause: error,
    })
  } finally {
    if (!renamed) await rm(temporary, { force: true }).catch(() => {})
  }
}

function serializeTokens(file: string, tokens: TokenSet): string {
  try {
    return `${JSON.stringify(tokens, null, 2)}\n`
  } catch (error) {
    // JSON.stringify names the offending type or property, never a value.
    throw new TokenFileError(
      `Could not write the token file ${file}: the tokens cannot be written as JSON`,
      { path: file, reason: 'unwritable', cause: error },
    )
  }
}

function codeSuffix(error: unknown): string {
  const code = codeOf(error)
  return code === undefined ? '' : ` (${code})`
}
