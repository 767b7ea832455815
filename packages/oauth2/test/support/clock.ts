import { afterEach, vi } from 'vitest'

/**
 * Fakes `Date` only, for the whole process, from `start()` to the end of the test: oidc-provider, which runs in
 * it, and the refresher then share one clock, so a test can move past a token's expiry at once instead of waiting
 * for it. Timers and I/O stay real. Start it before creating a refresher or grant: they keep the `Date.now` they
 * find when created.
 */
export function useSharedClock(): { start: () => void; advance: (ms: number) => void } {
  afterEach(() => {
    vi.useRealTimers()
  })
  return {
    start: () => {
      vi.useFakeTimers({ toFake: ['Date'], now: Date.now() })
    },
    advance: (ms) => {
      vi.setSystemTime(Date.now() + ms)
    },
  }
}
