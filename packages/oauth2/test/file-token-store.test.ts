import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { inspect } from 'node:util'
import { createTokenRefresher, RefreshFailedError } from '@tokenflight/core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { fileTokenStore, TokenFileError } from '../src/node/index.js'

let directory: string
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'tokenflight-store-'))
})
afterEach(() => rm(directory, { recursive: true, force: true }))

const tokens = {
  accessToken: 'stored-access-token',
  refreshToken: 'stored-refresh-token',
  expiresAt: 1_800_000_000_000,
  tokenType: 'Bearer',
}
const posix = process.platform !== 'win32'

describe('when the token file does not exist yet', () => {
  it('holds no tokens, even when its directory is missing too', async () => {
    expect(await fileTokenStore(join(directory, 'missing', 'tokens.json')).get()).toBeUndefined()
  })
})

describe('when tokens are written', () => {
  it('reads them back, also through a new store for the same path (a restart)', async () => {
    const path = join(directory, 'tokens.json')
    await fileTokenStore(path).set(tokens)
    expect(await fileTokenStore(path).get()).toEqual(tokens)
    expect(await fileTokenStore(pathToFileURL(path)).get()).toEqual(tokens)
  })

  it.runIf(posix)(
    'makes the file readable by its owner only, in a directory it creates',
    async () => {
      const path = join(directory, 'config', 'app', 'tokens.json')
      await fileTokenStore(path).set(tokens)
      expect((await stat(path)).mode & 0o777).toBe(0o600)
      expect((await stat(join(directory, 'config', 'app'))).mode & 0o777).toBe(0o700)
    },
  )

  it.runIf(posix)('replaces the file with a new one instead of rewriting it in place', async () => {
    const path = join(directory, 'tokens.json')
    const store = fileTokenStore(path)
    await store.set(tokens)
    const before = await stat(path)
    await store.set({ ...tokens, accessToken: 'next-access-token' })
    expect((await stat(path)).ino).not.toBe(before.ino)
    expect(await readdir(directory)).toEqual(['tokens.json'])
  })

  it('leaves the previous file whole and no temporary file when a write fails', async () => {
    const path = join(directory, 'tokens.json')
    const store = fileTokenStore(path)
    await store.set(tokens)
    // A BigInt cannot be serialized: the write fails after the temporary file was created.
    const error = await store
      .set({ ...tokens, expiresAt: 1n as never })
      .catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(TokenFileError)
    expect(await store.get()).toEqual(tokens)
    expect(await readdir(directory)).toEqual(['tokens.json'])
  })

  it('forgets them on clear, and a second clear is fine', async () => {
    const path = join(directory, 'tokens.json')
    const store = fileTokenStore(path)
    await store.set(tokens)
    await store.clear()
    await store.clear()
    expect(await store.get()).toBeUndefined()
  })
})

describe('when the token file is corrupt', () => {
  it('rejects with an error naming the path, never the contents', async () => {
    const path = join(directory, 'tokens.json')
    await writeFile(path, '{"accessToken": "half-written-secret-tok')
    const error = await fileTokenStore(path)
      .get()
      .catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(TokenFileError)
    expect(error).toMatchObject({ reason: 'corrupt', path })
    expect((error as Error).message).toBe(
      `The token file ${path} is corrupt (not JSON): delete it and sign in again`,
    )
    expect(inspect(error, { depth: 10 })).not.toContain('half-written-secret')
  })

  it('rejects JSON that is not a token set', async () => {
    const path = join(directory, 'tokens.json')
    await writeFile(path, JSON.stringify({ access_token: 'wire-format-secret' }))
    const error = await fileTokenStore(path)
      .get()
      .catch((caught: unknown) => caught)
    expect(error).toMatchObject({ reason: 'corrupt' })
    expect((error as Error).message).toContain(path)
    expect(inspect(error, { depth: 10 })).not.toContain('wire-format-secret')
  })

  it('fails the refresher instead of silently starting over, and leaves the file alone', async () => {
    const path = join(directory, 'tokens.json')
    await writeFile(path, 'not json at all')
    const refresher = createTokenRefresher({
      store: fileTokenStore(path),
      refresh: async () => ({ accessToken: 'minted' }),
      onEvent: () => {},
    })
    const error = await refresher.getAccessToken().catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(RefreshFailedError)
    expect((error as Error).cause).toBeInstanceOf(TokenFileError)
    expect(await readFile(path, 'utf8')).toBe('not json at all')
  })
})

describe('when the token file cannot be read', () => {
  it('rejects with the path and the system error code', async () => {
    const path = join(directory, 'tokens.json')
    await mkdir(path)
    const error = await fileTokenStore(path)
      .get()
      .catch((caught: unknown) => caught)
    expect(error).toMatchObject({ name: 'TokenFileError', reason: 'unreadable', path })
    expect((error as Error).message).toBe(`Could not read the token file ${path} (EISDIR)`)
  })
})

describe('when the token file cannot be written', () => {
  // A regular file where the directory should be: no permission bits involved, so this holds for root too.
  it('rejects with the path and the system error code', async () => {
    const blocker = join(directory, 'not-a-directory')
    await writeFile(blocker, '')
    const path = join(blocker, 'tokens.json')
    const error = await fileTokenStore(path)
      .set(tokens)
      .catch((caught: unknown) => caught)
    expect(error).toMatchObject({ name: 'TokenFileError', reason: 'unwritable', path })
    expect((error as Error).message).toMatch(
      new RegExp(
        `^Could not write the token file ${path.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')} \\((EEXIST|ENOTDIR)\\)$`,
      ),
    )
  })

  // procfs lets nobody, root included, create files; reading a missing name there is a plain ENOENT.
  it.runIf(process.platform === 'linux')(
    'reports the failure through the refresher while the tokens stay usable in memory',
    async () => {
      const failures: unknown[] = []
      const refresher = createTokenRefresher({
        store: fileTokenStore('/proc/self/tokenflight-tokens.json'),
        refresh: async () => ({ accessToken: 'minted' }),
        onEvent: (event) => {
          if (event.type === 'store-failed') failures.push(event.error)
        },
      })
      expect(await refresher.getAccessToken()).toBe('minted')
      expect(failures).toHaveLength(1)
      expect(failures[0]).toMatchObject({ name: 'TokenFileError', reason: 'unwritable' })
    },
  )

  it('rejects a path that is not a string or file URL', () => {
    expect(() => fileTokenStore('' as never)).toThrow(
      new TypeError('Expected `path` to be a non-empty string or a file URL'),
    )
  })
})
