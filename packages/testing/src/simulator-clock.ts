/** The simulator's clock: a base clock plus however far a test has moved it. */
export interface SimulatorClock {
  /** The current time, in epoch milliseconds; pass it as `now` to `createTokenRefresher` to share it. */
  now(): number
  /** Moves the clock forward by `ms` milliseconds, for the simulator and every refresher that shares it. */
  advance(ms: number): void
}

export function createSimulatorClock(base: () => number): SimulatorClock {
  let offsetMs = 0
  return {
    now: () => base() + offsetMs,
    advance: (ms) => {
      if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
        throw new TypeError('Expected `ms` to be a non-negative finite number of milliseconds')
      }
      offsetMs += ms
    },
  }
}
