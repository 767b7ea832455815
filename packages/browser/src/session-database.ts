import { BrowserTokenStoreError } from './errors.js'
import { revisionOf, type SessionRecord } from './stored-session.js'

const databaseName = 'tokenflight'
const databaseVersion = 1
const sessionsStore = 'sessions'
const leasesStore = 'leases'

/** The lease of the fallback lock: who holds it until when. `epoch` tells one grant from the next. */
export interface LeaseRecord {
  epoch: number
  owner: string | null
  expiresAt: number
}

/** The outcome of trying to take the lease; once granted, the session's revision as it was then. */
export type LeaseAttempt =
  | { granted: true; epoch: number; revision: number }
  | { granted: false; expiresAt: number }

/**
 * The IndexedDB side of one session key. Every read runs in its own transaction, so a read that starts after a
 * write has completed sees that write, in any tab: the guarantee `localStorage` does not give.
 */
export class SessionDatabase {
  readonly #key: string
  #connection: Promise<IDBDatabase> | undefined
  #database: IDBDatabase | undefined

  constructor(key: string) {
    this.#key = key
  }

  /** The raw record stored for the key, undefined if there is none. */
  readSession(): Promise<unknown> {
    return this.#transaction([sessionsStore], 'readonly', (transaction) =>
      request(transaction.objectStore(sessionsStore).get(this.#key)),
    )
  }

  /** The session's revision now, 0 if there is none. */
  async readRevision(): Promise<number> {
    return revisionOf(await this.readSession())
  }

  /**
   * Writes the tokens (`null` to clear) with the next revision, and resolves that revision once the write is
   * committed to disk. With `expectedRevision`, the write is made only if the session is still at that revision.
   */
  writeSession(tokens: string | null, expectedRevision: number | undefined): Promise<number> {
    return this.#transaction(
      [sessionsStore],
      'readwrite',
      async (transaction) => {
        const sessions = transaction.objectStore(sessionsStore)
        const revision = revisionOf(await request(sessions.get(this.#key)))
        if (expectedRevision !== undefined && revision !== expectedRevision) {
          throw new BrowserTokenStoreError(
            `Refused to write the session "${this.#key}" under its lock: another tab wrote it since this one read it, and its tokens are kept`,
            { key: this.#key, reason: 'conflict' },
          )
        }
        const record: SessionRecord = { revision: revision + 1, tokens }
        await request(sessions.put(record, this.#key))
        return record.revision
      },
      // A rotated refresh token lost in a crash is a lost session: wait until the write is on disk.
      { durability: 'strict' },
    )
  }

  /** Takes the lease if it is free or expired, in one transaction: a compare-and-set across tabs. */
  tryLease(owner: string, leaseMs: number): Promise<LeaseAttempt> {
    return this.#transaction([leasesStore, sessionsStore], 'readwrite', async (transaction) => {
      const leases = transaction.objectStore(leasesStore)
      const lease = (await request(leases.get(this.#key))) as Partial<LeaseRecord> | undefined
      const now = Date.now()
      if (typeof lease?.owner === 'string' && (lease.expiresAt ?? 0) > now) {
        return { granted: false, expiresAt: lease.expiresAt as number }
      }
      const next: LeaseRecord = { epoch: epochOf(lease) + 1, owner, expiresAt: now + leaseMs }
      await request(leases.put(next, this.#key))
      const session = await request(transaction.objectStore(sessionsStore).get(this.#key))
      return { granted: true, epoch: next.epoch, revision: revisionOf(session) }
    })
  }

  /**
   * Extends the lease by `leaseMs` from now (`leaseMs` 0 releases it) if `owner` still holds it at `epoch`;
   * resolves whether it did.
   */
  updateLease(owner: string, epoch: number, leaseMs: number): Promise<boolean> {
    return this.#transaction([leasesStore], 'readwrite', async (transaction) => {
      const leases = transaction.objectStore(leasesStore)
      const lease = (await request(leases.get(this.#key))) as Partial<LeaseRecord> | undefined
      if (lease?.owner !== owner || lease.epoch !== epoch) return false
      const next: LeaseRecord =
        leaseMs === 0
          ? { epoch, owner: null, expiresAt: 0 }
          : { epoch, owner, expiresAt: Date.now() + leaseMs }
      await request(leases.put(next, this.#key))
      return true
    })
  }

  close(): void {
    const connection = this.#connection
    this.#connection = undefined
    this.#database = undefined
    connection?.then((database) => database.close(), noop)
  }

  // Runs `work` in one transaction and resolves its result once the transaction has committed. `work` may await
  // only requests of this transaction: anything else lets the transaction commit early.
  async #transaction<T>(
    stores: string[],
    mode: IDBTransactionMode,
    work: (transaction: IDBTransaction) => Promise<T>,
    options?: IDBTransactionOptions,
  ): Promise<T> {
    let transaction: IDBTransaction
    try {
      transaction = (await this.#open()).transaction(stores, mode, options)
    } catch (error) {
      if (!isClosedConnection(error)) throw this.#failure(error)
      // The browser closed the connection (storage cleared, Safari's lost IndexedDB server): open it once more.
      this.#connection = undefined
      try {
        transaction = (await this.#open()).transaction(stores, mode, options)
      } catch (retryError) {
        throw this.#failure(retryError)
      }
    }
    const committed = new Promise<void>((resolve, reject) => {
      transaction.oncomplete = () => resolve()
      transaction.onabort = () => reject(transaction.error)
    })
    let result: T
    try {
      result = await work(transaction)
    } catch (error) {
      committed.catch(noop)
      try {
        transaction.abort()
      } catch {
        // Already finished: the error below is what counts.
      }
      throw error instanceof BrowserTokenStoreError ? error : this.#failure(error)
    }
    try {
      await committed
    } catch (error) {
      throw this.#failure(error)
    }
    return result
  }

  #open(): Promise<IDBDatabase> {
    this.#connection ??= openDatabase(this.#key).then(
      (database) => {
        // Another tab upgrading the schema must not wait for this one: close, and open again when next needed.
        database.onversionchange = () => this.#forget(database)
        database.onclose = () => this.#forget(database)
        this.#database = database
        return database
      },
      (error: unknown) => {
        // Not cached: the next call tries again, as storage may have become available.
        this.#connection = undefined
        throw error
      },
    )
    return this.#connection
  }

  #forget(database: IDBDatabase): void {
    database.close()
    if (this.#database !== database) return
    this.#database = undefined
    this.#connection = undefined
  }

  #failure(error: unknown): BrowserTokenStoreError {
    if (error instanceof BrowserTokenStoreError) return error
    const name = error instanceof DOMException || error instanceof Error ? error.name : 'Error'
    if (name === 'QuotaExceededError') {
      return new BrowserTokenStoreError(
        `Could not write the session "${this.#key}" to IndexedDB: the storage quota is used up (QuotaExceededError)`,
        { key: this.#key, reason: 'quota-exceeded', cause: error },
      )
    }
    return new BrowserTokenStoreError(
      `Could not use IndexedDB for the session "${this.#key}" (${name})`,
      { key: this.#key, reason: 'unavailable', cause: error },
    )
  }
}

function openDatabase(key: string): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const unavailable = (detail: string, cause?: unknown) =>
      new BrowserTokenStoreError(`Could not open IndexedDB for the session "${key}": ${detail}`, {
        key,
        reason: 'unavailable',
        cause,
      })
    if (typeof indexedDB === 'undefined') {
      reject(unavailable('this context has no IndexedDB'))
      return
    }
    let opening: IDBOpenDBRequest
    try {
      opening = indexedDB.open(databaseName, databaseVersion)
    } catch (error) {
      // Some browsers throw at once where storage is blocked (SecurityError).
      reject(unavailable(nameOf(error), error))
      return
    }
    opening.onupgradeneeded = () => {
      const database = opening.result
      for (const store of [sessionsStore, leasesStore]) {
        if (!database.objectStoreNames.contains(store)) database.createObjectStore(store)
      }
    }
    opening.onsuccess = () => resolve(opening.result)
    opening.onerror = () => {
      const error = opening.error
      const detail =
        error?.name === 'VersionError'
          ? `the database "${databaseName}" is at a newer version than this copy of @tokenflight/browser reads (VersionError)`
          : nameOf(error)
      reject(unavailable(detail, error))
    }
    opening.onblocked = () => {
      console.warn(
        `@tokenflight/browser: opening IndexedDB for the session "${key}" waits for another tab to close an older connection`,
      )
    }
  })
}

function request<T>(pending: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    pending.onsuccess = () => resolve(pending.result)
    pending.onerror = () => reject(pending.error)
  })
}

function epochOf(lease: unknown): number {
  const epoch = (lease as { epoch?: unknown } | null | undefined)?.epoch
  return Number.isSafeInteger(epoch) ? (epoch as number) : 0
}

function isClosedConnection(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'InvalidStateError'
}

function nameOf(error: unknown): string {
  return error instanceof DOMException || error instanceof Error ? error.name : 'unknown error'
}

function noop(): void {}
