import { vi } from 'vitest'

/**
 * Fakes `Date` only, for the whole process: oidc-provider, which runs in it, and the refresher then share one
 * clock, so a test can move past a token's expiry at once instead of waiting for it. Timers and I/O stay real.
 */
export function useSharedClock(): { advance: (ms: number) => void; restore: () => void } {
  vi.useFakeTimers({ toFake: ['Date'], now: Date.now() })
  return {
    advance: (ms) => vi.setSystemTime(Date.now() + ms),
    restore: () => vi.useRealTimers(),
  }
}
