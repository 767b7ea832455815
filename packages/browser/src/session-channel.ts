/** What the tabs of one session tell each other. No message carries a token: a tab that hears one reads IndexedDB. */
export type SessionMessage =
  /** The session was written at this revision: tokens set, rotated or cleared. */
  | { type: 'session-changed'; revision: number }
  /** The fallback lock's lease was released: a tab waiting for it may try again now. */
  | { type: 'lease-released' }

interface Envelope {
  tokenflight: 1
  key: string
  message: SessionMessage
}

/**
 * Carries {@link SessionMessage}s between the tabs of one origin through a `BroadcastChannel`, or, where there is
 * none, through the `storage` event of a `localStorage` entry that holds the last message. Neither delivers a
 * message to the instance that sent it.
 */
export class SessionChannel {
  readonly #key: string
  readonly #name: string
  readonly #receive: (message: SessionMessage) => void
  readonly #broadcastChannel: BroadcastChannel | undefined
  #warnedOfForeignMessage = false
  #closed = false

  constructor(key: string, receive: (message: SessionMessage) => void) {
    this.#key = key
    this.#name = `tokenflight:${key}`
    this.#receive = receive
    if (typeof BroadcastChannel === 'function') {
      this.#broadcastChannel = new BroadcastChannel(this.#name)
      this.#broadcastChannel.onmessage = (event) => this.#accept(event.data)
    } else if (typeof addEventListener === 'function') {
      addEventListener('storage', this.#onStorage)
    }
  }

  post(message: SessionMessage): void {
    if (this.#closed) return
    const envelope: Envelope = { tokenflight: 1, key: this.#key, message }
    if (this.#broadcastChannel !== undefined) {
      this.#broadcastChannel.postMessage(envelope)
      return
    }
    try {
      // A nonce makes each message a change, so that the same message twice still fires the event.
      localStorage.setItem(
        this.#name,
        JSON.stringify({ ...envelope, nonce: Math.random().toString(36).slice(2) }),
      )
    } catch (error) {
      // Without this notice, other tabs still meet the new tokens when they next take the lock and read them.
      console.warn(
        `@tokenflight/browser: could not tell other tabs of a change to the session "${this.#key}" (${nameOf(error)})`,
      )
    }
  }

  close(): void {
    this.#closed = true
    this.#broadcastChannel?.close()
    if (typeof removeEventListener === 'function') removeEventListener('storage', this.#onStorage)
  }

  readonly #onStorage = (event: StorageEvent): void => {
    if (event.key !== this.#name || event.newValue === null) return
    let data: unknown
    try {
      data = JSON.parse(event.newValue)
    } catch {
      data = undefined
    }
    this.#accept(data)
  }

  #accept(data: unknown): void {
    if (this.#closed) return
    const message = readMessage(data, this.#key)
    if (message !== undefined) {
      this.#receive(message)
      return
    }
    // Another script may use the same channel name: say so once, and go on.
    if (this.#warnedOfForeignMessage) return
    this.#warnedOfForeignMessage = true
    console.warn(
      `@tokenflight/browser: ignored a message of another shape on the channel "${this.#name}" of the session "${this.#key}"; further ones are ignored silently`,
    )
  }
}

function readMessage(data: unknown, key: string): SessionMessage | undefined {
  if (typeof data !== 'object' || data === null) return undefined
  const envelope = data as Partial<Envelope>
  if (envelope.tokenflight !== 1 || envelope.key !== key) return undefined
  const message = envelope.message as Partial<SessionMessage> | undefined
  if (message?.type === 'lease-released') return { type: 'lease-released' }
  if (message?.type === 'session-changed') {
    const { revision } = message as { revision?: unknown }
    if (Number.isSafeInteger(revision) && (revision as number) > 0) {
      return { type: 'session-changed', revision: revision as number }
    }
  }
  return undefined
}

function nameOf(error: unknown): string {
  return error instanceof Error ? error.name : 'unknown error'
}
