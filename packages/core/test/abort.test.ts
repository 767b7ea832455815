import { getEventListeners } from 'node:events'
import { describe, expect, it } from 'vitest'
import { createTokenRefresher } from '../src/index.js'
import { controlledRefresh, flushPromises } from './support.js'

describe('behaviour 8: abort', () => {
  describe('when one of three waiting callers aborts', () => {
    it('rejects that caller with its signal reason and lets the shared refresh go on for the others', async () => {
      const { refresh, calls } = controlledRefresh()
      const refresher = createTokenRefresher({ refresh, initialTokens: { accessToken: 'a' } })
      const controller = new AbortController()

      const aborted = refresher.refreshAfterUnauthorized('a', { signal: controller.signal })
      const others = [
        refresher.refreshAfterUnauthorized('a'),
        refresher.refreshAfterUnauthorized('a'),
      ]
      await flushPromises()
      controller.abort()

      await expect(aborted).rejects.toMatchObject({ name: 'AbortError' })
      expect(calls[0]?.signal.aborted).toBe(false)
      calls[0]?.resolve({ accessToken: 'b' })
      await flushPromises()
      expect(await Promise.all(others)).toEqual(['b', 'b'])
      expect(calls).toHaveLength(1)
    })
  })

  describe('when every waiting caller aborts', () => {
    it('still completes and publishes the refresh', async () => {
      const { refresh, calls } = controlledRefresh()
      const refresher = createTokenRefresher({ refresh, initialTokens: { accessToken: 'a' } })
      const controller = new AbortController()

      const waiter = refresher.refresh({ signal: controller.signal })
      await flushPromises()
      controller.abort(new Error('user navigated away'))
      await expect(waiter).rejects.toThrow('user navigated away')
      calls[0]?.resolve({ accessToken: 'b' })
      await flushPromises()

      expect(refresher.getTokens()?.accessToken).toBe('b')
    })

    it('leaves no unhandled rejection when that refresh then fails', async () => {
      const { refresh, calls } = controlledRefresh()
      const refresher = createTokenRefresher({ refresh, initialTokens: { accessToken: 'a' } })
      const controller = new AbortController()

      const waiter = refresher.refresh({ signal: controller.signal })
      await flushPromises()
      controller.abort()
      await expect(waiter).rejects.toMatchObject({ name: 'AbortError' })
      calls[0]?.reject(new Error('network down'))
      await flushPromises()

      expect(refresher.getTokens()?.accessToken).toBe('a')
    })
  })

  describe('when a caller arrives with an already aborted signal', () => {
    it('rejects at once and starts no refresh', async () => {
      const { refresh, calls } = controlledRefresh()
      const refresher = createTokenRefresher({ refresh })

      await expect(refresher.getAccessToken({ signal: AbortSignal.abort() })).rejects.toMatchObject(
        {
          name: 'AbortError',
        },
      )
      await flushPromises()
      expect(calls).toHaveLength(0)
    })
  })

  describe('when a caller aborts while a custom store is being read', () => {
    it('rejects that caller only', async () => {
      let releaseRead: (tokens: { accessToken: string }) => void = () => {}
      const refresher = createTokenRefresher({
        refresh: async () => ({ accessToken: 'never' }),
        store: {
          get: () =>
            new Promise((resolve) => {
              releaseRead = resolve
            }),
          set: () => {},
          clear: () => {},
        },
      })
      const controller = new AbortController()

      const aborted = refresher.getAccessToken({ signal: controller.signal })
      const other = refresher.getAccessToken()
      controller.abort()
      releaseRead({ accessToken: 'stored' })

      await expect(aborted).rejects.toMatchObject({ name: 'AbortError' })
      expect(await other).toBe('stored')
    })
  })
})

describe('when twenty waiting callers share one signal', () => {
  it('registers one abort listener, removes it once the refresh settled, and warns about nothing', async () => {
    const warnings: Error[] = []
    const onWarning = (warning: Error) => warnings.push(warning)
    process.on('warning', onWarning)
    const { refresh, calls } = controlledRefresh()
    const refresher = createTokenRefresher({ refresh, initialTokens: { accessToken: 'a' } })
    const controller = new AbortController()

    const waiters = Array.from({ length: 20 }, () =>
      refresher.refreshAfterUnauthorized('a', { signal: controller.signal }),
    )
    await flushPromises()
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1)
    calls[0]?.resolve({ accessToken: 'b' })

    expect(await Promise.all(waiters)).toEqual(Array(20).fill('b'))
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0)
    await flushPromises()
    process.off('warning', onWarning)
    expect(warnings).toEqual([])
  })

  it('rejects all twenty when it aborts, and only them', async () => {
    const { refresh, calls } = controlledRefresh()
    const refresher = createTokenRefresher({ refresh, initialTokens: { accessToken: 'a' } })
    const controller = new AbortController()

    const aborted = Array.from({ length: 20 }, () =>
      refresher
        .refreshAfterUnauthorized('a', { signal: controller.signal })
        .catch((error: unknown) => error),
    )
    const other = refresher.refreshAfterUnauthorized('a')
    await flushPromises()
    controller.abort(new Error('page closed'))
    const errors = await Promise.all(aborted)
    calls[0]?.resolve({ accessToken: 'b' })

    expect(errors.map((error) => (error as Error).message)).toEqual(Array(20).fill('page closed'))
    expect(await other).toBe('b')
  })
})
