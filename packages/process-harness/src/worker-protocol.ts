/** The store a worker process opens: the same session for every worker given the same one. */
export type WorkerStore =
  | { kind: 'file'; path: string; lockStaleMs?: number }
  /** The status quo: the same file, without the lock and notifications (get, set and clear only). */
  | { kind: 'file-without-lock'; path: string }
  | { kind: 'redis'; url: string; key: string; lockLeaseMs?: number }

/** What every worker process of one run does. */
export interface WorkerOptions {
  store: WorkerStore
  /** The simulator's token endpoint and API, from `serveOAuthSimulator`. */
  tokenUrl: string
  apiUrl: string
  /** `refreshTokenGrant` (rotating refresh tokens) or `clientCredentialsGrant` (rotates nothing). */
  grant: 'refresh-token' | 'client-credentials'
  /** Concurrent callers in the process, each calling the API in a loop. */
  callers: number
  /** Milliseconds each caller waits between its calls. */
  pauseMs: number
  /**
   * Shortens the lifetime of each token the refresher gets to this many milliseconds (its `expiresAt`), while the
   * provider keeps accepting it for its own, longer lifetime: the refreshers expire and refresh on a short cycle,
   * and a request delayed by a loaded machine still finds its token valid. Default: the provider's lifetime.
   */
  tokenLifetimeMs?: number
  /** Whether the refresher hears of the others' writes through the store's `subscribe`. Default true. */
  subscribe?: boolean
  /** The refresher's `refreshTimeoutMs`, `refreshBackoffMs` and `maxRefreshBackoffMs`; default core's. */
  refreshTimeoutMs?: number
  refreshBackoffMs?: number
  maxRefreshBackoffMs?: number
}

/** One call of the refresh function: a request to the token endpoint. */
export interface TokenRequestRecord {
  pid: number
  /** Epoch ms when the request was sent. */
  at: number
  /** `expiresAt` of the tokens it replaces. */
  replacedExpiresAt: number | undefined
}

/** The answer to a token request: a fingerprint of the access token it brought, to find it in a store. */
export interface TokenResponseRecord {
  pid: number
  at: number
  /** The first 16 hex digits of the access token's SHA-256. */
  accessTokenFingerprint: string
}

/** What a worker tells at the end of its run. */
export interface WorkerReport {
  pid: number
  calls: number
  failedCalls: number
  /** Epoch ms when the last successful call ended. */
  lastOkCallAt: number
  /** Failed calls by what they failed with: an error's name and code, or `HTTP <status>`. */
  failures: Record<string, number>
  /** Each failed call: when, and what it failed with. */
  failedAt: { at: number; failure: string }[]
  /** `session-expired` events of the refresher. */
  sessionExpired: number
  /** Store failures the refresher reported, by `reason` (or the error's name). */
  storeFailures: Record<string, number>
  tokenRequests: TokenRequestRecord[]
  tokenResponses: TokenResponseRecord[]
  /** Milliseconds each `store.lock` call waited before `critical` ran. */
  lockWaitsMs: number[]
  /** Milliseconds each call took. */
  callsMs: number[]
}

export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'token-request'; request: TokenRequestRecord }
  | { type: 'token-response'; response: TokenResponseRecord }
  | { type: 'report'; report: WorkerReport }

/** Starts the load: every caller calls until `until` (epoch ms), or until `stop` comes first. */
export type ParentMessage = { type: 'start'; until: number } | { type: 'stop' }

/** The environment variable that carries a worker's `WorkerOptions`, as JSON. */
export const workerOptionsVariable = 'TOKENFLIGHT_WORKER_OPTIONS'
