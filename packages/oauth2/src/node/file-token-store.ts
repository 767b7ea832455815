import { randomUUID } from 'node:crypto'
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { TokenSet, TokenStore } from '@tokenflight/core'

/** What went wrong with a token file. */
export type TokenFileFailureReason = 'unreadable' | 'corrupt' | 'unwritable'

/**
 * A token file could not be read, holds something other than a token set, or could not be written; the message
 * names the path and the system error code, never the file's contents.
 */
export class TokenFileError extends Error {
  override name = 'TokenFileError' as const
  readonly code = 'TOKEN_FILE_ERROR' as const
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

/** The `TokenStore` of {@link fileTokenStore}: each method returns a promise. */
export interface FileTokenStore extends TokenStore {
  get(): Promise<TokenSet | undefined>
  set(tokens: TokenSet): Promise<void>
  clear(): Promise<void>
}

/**
 * A token store that keeps the tokens in one JSON file, readable by its owner only (mode 0600), replaced atomically
 * on each write so that a crash never leaves half a file; a missing file means no tokens yet.
 *
 * @example
 * const refresher = createTokenRefresher({
 *   store: fileTokenStore(join(homedir(), '.config', 'my-cli', 'tokens.json')),
 *   refresh: refreshTokenGrant({ issuer, clientId }),
 * })
 */
export function fileTokenStore(path: string | URL): FileTokenStore {
  if (!(path instanceof URL) && (typeof path !== 'string' || path === '')) {
    throw new TypeError('Expected `path` to be a non-empty string or a file URL')
  }
  const file = resolve(path instanceof URL ? fileURLToPath(path) : path)
  return {
    get: () => readTokenFile(file),
    set: (tokens) => writeTokenFile(file, tokens),
    clear: async () => {
      try {
        await rm(file, { force: true })
      } catch (error) {
        throw new TokenFileError(`Could not delete the token file ${file}${codeOf(error)}`, {
          path: file,
          reason: 'unwritable',
          cause: error,
        })
      }
    },
  }
}

async function readTokenFile(file: string): Promise<TokenSet | undefined> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return undefined
    throw new TokenFileError(`Could not read the token file ${file}${codeOf(error)}`, {
      path: file,
      reason: 'unreadable',
      cause: error,
    })
  }
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

async function writeTokenFile(file: string, tokens: TokenSet): Promise<void> {
  const directory = dirname(file)
  // In the same directory, so that the rename stays on one file system and is atomic.
  const temporary = join(directory, `.${basename(file)}.${randomUUID()}.tmp`)
  try {
    await mkdir(directory, { recursive: true, mode: 0o700 })
    // Created with mode 0600 from the start: the tokens are never readable by others, not even for a moment.
    const handle = await open(temporary, 'wx', 0o600)
    try {
      await handle.writeFile(`${JSON.stringify(tokens, null, 2)}\n`)
      await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(temporary, file)
  } catch (error) {
    await rm(temporary, { force: true }).catch(() => {})
    throw new TokenFileError(`Could not write the token file ${file}${codeOf(error)}`, {
      path: file,
      reason: 'unwritable',
      cause: error,
    })
  }
}

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' ? ` (${code})` : ''
}
