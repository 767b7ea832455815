import { cp, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import {
  RefreshFailedError,
  RefreshTimeoutError,
  SessionExpiredError,
  TokenEndpointError,
  TokenflightError,
  TokenRefreshError,
} from '../src/errors.js'
import { isRefreshSignal, markRefreshSignal } from '../src/refresh-signal.js'

const copies: string[] = []
afterAll(() => Promise.all(copies.map((directory) => rm(directory, { recursive: true }))))

// Core's source copied elsewhere and loaded from there: a second, separate instance of every module, as in an
// app whose adapter resolves one copy of @tokenflight/core and whose own code another.
async function loadSecondCopy() {
  const directory = await mkdtemp(join(tmpdir(), 'tokenflight-core-copy-'))
  copies.push(directory)
  await cp(new URL('../src', import.meta.url), directory, { recursive: true })
  const load = (file: string) =>
    import(/* @vite-ignore */ pathToFileURL(join(directory, file)).href)
  return {
    ...((await load('errors.ts')) as typeof import('../src/errors.js')),
    ...((await load('refresh-signal.ts')) as typeof import('../src/refresh-signal.js')),
  }
}

describe('when two copies of core are loaded', () => {
  it('recognizes the errors of the other copy with instanceof, class by class', async () => {
    const other = await loadSecondCopy()
    expect(other.SessionExpiredError).not.toBe(SessionExpiredError)
    const expired = new other.SessionExpiredError('Session expired')
    expect(expired).toBeInstanceOf(SessionExpiredError)
    expect(expired).toBeInstanceOf(TokenRefreshError)
    expect(expired).not.toBeInstanceOf(RefreshFailedError)
    expect(expired).not.toBeInstanceOf(RefreshTimeoutError)
    const failed = new other.RefreshFailedError('Refresh failed')
    expect(failed).toBeInstanceOf(RefreshFailedError)
    expect(failed).not.toBeInstanceOf(SessionExpiredError)
    // And the other way round.
    expect(new RefreshTimeoutError('Timed out')).toBeInstanceOf(other.RefreshTimeoutError)
    expect(new RefreshTimeoutError('Timed out')).toBeInstanceOf(other.TokenRefreshError)
  })

  it('recognizes the token endpoint errors of the other copy, and its subclasses of them', async () => {
    const other = await loadSecondCopy()
    const answered = new other.TokenEndpointError('Token endpoint answered 503', { status: 503 })
    expect(answered).toBeInstanceOf(TokenEndpointError)
    expect(answered).toBeInstanceOf(TokenflightError)
    expect(answered).not.toBeInstanceOf(TokenRefreshError)
    class ServerError extends other.TokenEndpointError {}
    expect(new ServerError('Token endpoint answered 500')).toBeInstanceOf(TokenEndpointError)
    expect(new SessionExpiredError('Gone')).toBeInstanceOf(other.TokenflightError)
  })

  it('does not take a look-alike error without the brand for one of ours', () => {
    const lookAlike = Object.assign(new Error('Session expired'), {
      name: 'SessionExpiredError',
      code: 'SESSION_EXPIRED',
    })
    expect(lookAlike).not.toBeInstanceOf(SessionExpiredError)
    expect(lookAlike).not.toBeInstanceOf(TokenRefreshError)
    expect(null).not.toBeInstanceOf(TokenRefreshError)
  })

  it('keeps instanceof of a subclass the app defines on its own prototype chain', () => {
    class AppSessionError extends SessionExpiredError {}
    expect(new AppSessionError('Gone')).toBeInstanceOf(AppSessionError)
    expect(new SessionExpiredError('Gone')).not.toBeInstanceOf(AppSessionError)
    expect(new AppSessionError('Gone')).toBeInstanceOf(SessionExpiredError)
  })

  it('recognizes a refresh signal marked by the other copy', async () => {
    const other = await loadSecondCopy()
    const controller = new AbortController()
    other.markRefreshSignal(controller.signal)
    expect(isRefreshSignal(controller.signal)).toBe(true)
    const mine = new AbortController()
    markRefreshSignal(mine.signal)
    expect(other.isRefreshSignal(mine.signal)).toBe(true)
    expect(isRefreshSignal(new AbortController().signal)).toBe(false)
    expect(isRefreshSignal(undefined)).toBe(false)
  })
})
