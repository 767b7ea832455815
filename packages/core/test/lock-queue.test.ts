import { describe, expect, it } from 'vitest'
import { createLockQueue } from '../src/store/lock-queue.js'
import { deferred, flushPromises } from './support.js'

describe('the in-process lock of a refresher whose store is not shared', () => {
  it('runs a critical section at once when free, and the next one only after it', async () => {
    const lock = createLockQueue()
    const first = deferred<string>()
    const order: string[] = []
    const holding = lock(() => {
      order.push('first runs')
      return first.promise
    }, new AbortController().signal)
    expect(order).toEqual(['first runs'])
    const next = lock(async () => {
      order.push('second runs')
      return 'second'
    }, new AbortController().signal)
    await flushPromises()
    expect(order).toEqual(['first runs'])
    first.resolve('first')
    expect(await holding).toBe('first')
    expect(await next).toBe('second')
  })

  describe('when a waiter gives up while the holder still runs', () => {
    it('lets nobody else in before the holder releases', async () => {
      const lock = createLockQueue()
      const holder = deferred<void>()
      const order: string[] = []
      const held = lock(async () => {
        order.push('holder runs')
        await holder.promise
        order.push('holder releases')
      }, new AbortController().signal)
      const quitter = new AbortController()
      const giving = lock(async () => {
        order.push('quitter runs')
      }, quitter.signal).catch((error: unknown) => error)
      quitter.abort(new Error('gave up'))
      expect(await giving).toMatchObject({ message: 'gave up' })

      const later = lock(async () => {
        order.push('later runs')
      }, new AbortController().signal)
      await flushPromises()
      // Before the fix, the waiter that gave up freed the lock, and this section ran beside the holder.
      expect(order).toEqual(['holder runs'])
      holder.resolve()
      await held
      await later
      expect(order).toEqual(['holder runs', 'holder releases', 'later runs'])
    })
  })
})
