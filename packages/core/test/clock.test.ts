import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createTokenRefresher } from '../src/index.js'
import { controlledRefresh, flushPromises, hour, manualClock } from './support.js'

describe('behaviour 10: clock', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  describe('with an injected now', () => {
    it('decides expiry by that clock, not by Date.now', async () => {
      const clock = manualClock(1_000)
      const { refresh, calls } = controlledRefresh()
      const refresher = createTokenRefresher({
        refresh,
        now: clock.now,
        initialTokens: { accessToken: 'a', expiresAt: 1_000 + hour },
      })

      expect(await refresher.getAccessToken()).toBe('a')
      expect(calls).toHaveLength(0)
      clock.advance(hour)
      const token = refresher.getAccessToken()
      await flushPromises()
      expect(calls).toHaveLength(1)
      calls[0]?.resolve({ accessToken: 'b' })
      expect(await token).toBe('b')
    })

    it('measures event durations with it', async () => {
      const clock = manualClock()
      const { refresh, calls } = controlledRefresh()
      const durations: number[] = []
      const refresher = createTokenRefresher({
        refresh,
        now: clock.now,
        onEvent: (event) => {
          if (event.type === 'refresh-succeeded') durations.push(event.durationMs)
        },
      })

      const token = refresher.getAccessToken()
      clock.advance(1_234)
      calls[0]?.resolve({ accessToken: 'a' })
      await token

      expect(durations).toEqual([1_234])
    })
  })

  describe('timers', () => {
    it('leaves no timer behind once a refresh settled', async () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
      const { refresh, calls } = controlledRefresh()
      const refresher = createTokenRefresher({ refresh })

      const token = refresher.getAccessToken()
      await flushPromises()
      expect(vi.getTimerCount()).toBe(1)
      calls[0]?.resolve({ accessToken: 'a', expiresAt: Date.now() + hour })
      await token

      expect(vi.getTimerCount()).toBe(0)
    })

    it('starts no timer to refresh ahead of expiry', async () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] })
      const refresher = createTokenRefresher({
        refresh: async () => ({ accessToken: 'b' }),
        initialTokens: { accessToken: 'a', expiresAt: Date.now() + hour },
      })

      await refresher.getAccessToken()

      expect(vi.getTimerCount()).toBe(0)
    })

    it('does not keep a Node process alive while a refresh is pending', async () => {
      const fixture = fileURLToPath(new URL('./fixtures/pending-refresh.ts', import.meta.url))
      const run = promisify(execFile)

      const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', fixture], {
        cwd: fileURLToPath(new URL('..', import.meta.url)),
      })

      // execFile rejects on a non-zero exit code, so reaching this line means the process exited with 0.
      expect({ stdout, stderr }).toEqual({ stdout: '', stderr: '' })
    }, 20_000)
  })
})

describe('clock, without an injected now', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('reads Date.now at each call, so a fake clock installed after creation is followed', async () => {
    const { refresh, calls } = controlledRefresh()
    const refresher = createTokenRefresher({
      refresh,
      initialTokens: { accessToken: 'a', expiresAt: Date.now() + hour },
    })
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.now() + hour)

    const token = refresher.getAccessToken()
    await flushPromises()
    expect(calls).toHaveLength(1)
    calls[0]?.resolve({ accessToken: 'b' })
    expect(await token).toBe('b')
  })
})
