/** Holds requests at an endpoint until the test lets them go, so that a test can order events without timers. */
export interface RequestGate {
  /** Resolves once the gate holds as many requests as it was opened for. */
  readonly arrived: Promise<void>
  /** How many requests the gate holds now. */
  readonly held: number
  /** Lets every held request go on; requests arriving afterwards pass. */
  release(): void
}

interface OpenGate {
  capacity: number
  held: number
  released: boolean
  arrive: () => void
  releasedPromise: Promise<void>
}

/** The gates of one endpoint, filled in the order they were opened. */
export class GateQueue {
  #gates: OpenGate[] = []

  open(count: number): RequestGate {
    if (!Number.isInteger(count) || count < 1) {
      throw new TypeError('Expected `count` to be a positive integer')
    }
    let arrive = () => {}
    let release = () => {}
    const gate: OpenGate = {
      capacity: count,
      held: 0,
      released: false,
      arrive: () => arrive(),
      releasedPromise: new Promise<void>((resolve) => {
        release = resolve
      }),
    }
    const arrived = new Promise<void>((resolve) => {
      arrive = resolve
    })
    this.#gates.push(gate)
    return {
      arrived,
      get held() {
        return gate.released ? 0 : gate.held
      },
      release: () => {
        gate.released = true
        this.#gates = this.#gates.filter((open) => open !== gate)
        release()
      },
    }
  }

  /** Waits at the first gate that has room, until it is released or the request is aborted. */
  async pass(signal: AbortSignal): Promise<void> {
    const gate = this.#gates.find((open) => open.held < open.capacity)
    if (gate === undefined) return
    gate.held++
    if (gate.held === gate.capacity) gate.arrive()
    await Promise.race([gate.releasedPromise, abortion(signal)])
  }
}

/** Resolves when the signal aborts; never, if it does not. */
export function abortion(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve()
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }))
}
