import type { OAuthSimulator } from '@tokenflight/testing'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createRunLog, reportRun } from '../src/run-log.js'

function simulatorWith(stats: Partial<OAuthSimulator['stats']>): OAuthSimulator {
  return {
    stats: { refreshCalls: 0, reusedRefreshTokens: 0, unauthorizedResponses: 0, ...stats },
  } as OAuthSimulator
}

function refreshed(log: ReturnType<typeof createRunLog>, times: number): void {
  for (let index = 0; index < times; index++) {
    log.onEvent({ type: 'refresh-started', reason: 'background' })
    log.onEvent({
      type: 'refresh-succeeded',
      reason: 'background',
      durationMs: 20,
      expiresAt: undefined,
      refreshTokenRotated: true,
      late: false,
      adopted: false,
      superseded: false,
    })
  }
}

describe('reportRun on the simulated provider', () => {
  afterEach(() => {
    process.exitCode = undefined
    vi.restoreAllMocks()
  })

  it('keeps the exit code at zero when every check holds', async () => {
    vi.spyOn(console, 'log').mockImplementation(() => {})
    const log = createRunLog()
    refreshed(log, 2)
    await reportRun({ requests: 10, log, simulator: simulatorWith({ refreshCalls: 2 }) })
    expect(process.exitCode).toBeUndefined()
  })

  it('sets exit code 1 when a refresh token was used twice', async () => {
    vi.spyOn(console, 'log').mockImplementation(() => {})
    const error = vi.spyOn(console, 'error').mockImplementation(() => {})
    const log = createRunLog()
    refreshed(log, 2)
    await reportRun({
      requests: 10,
      log,
      simulator: simulatorWith({ refreshCalls: 3, reusedRefreshTokens: 1 }),
    })
    expect(process.exitCode).toBe(1)
    expect(error).toHaveBeenCalledWith(
      'Unexpected: the provider saw 3 token requests for 2 refreshes; 1 refresh tokens were used twice',
    )
  })

  it('sets exit code 1 when more refreshes were made than token lifetimes allow', async () => {
    vi.spyOn(console, 'log').mockImplementation(() => {})
    vi.spyOn(console, 'error').mockImplementation(() => {})
    const log = createRunLog()
    refreshed(log, 20)
    await reportRun({
      requests: 10,
      log,
      simulator: simulatorWith({ refreshCalls: 20 }),
      accessTokenLifetimeMs: 60_000,
    })
    expect(process.exitCode).toBe(1)
  })

  it('sets exit code 1 when a request was sent with an expired token although none should be', async () => {
    vi.spyOn(console, 'log').mockImplementation(() => {})
    vi.spyOn(console, 'error').mockImplementation(() => {})
    const log = createRunLog()
    await reportRun({
      requests: 10,
      log,
      simulator: simulatorWith({ unauthorizedResponses: 1 }),
      expectNoUnauthorized: true,
    })
    expect(process.exitCode).toBe(1)
  })
})
