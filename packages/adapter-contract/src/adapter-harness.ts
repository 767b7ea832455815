import type { TokenRefresher } from '@tokenflight/core'
import type { OriginList } from '@tokenflight/core/adapter'

/** The kinds of request body whose replay the contract checks. */
export type BodyKind =
  | 'json'
  | 'text'
  | 'url-search-params'
  | 'form-data'
  | 'blob'
  | 'array-buffer'
  | 'stream'

/** A request body: a plain object for `json`, otherwise the value to send as is (a `ReadableStream` for `stream`). */
export interface ContractBody {
  kind: BodyKind
  value: unknown
}

/** A request in the client-neutral words of the contract; the harness turns it into a call of its client. */
export interface ContractRequest {
  url: string
  /** Default `'GET'`. */
  method?: string
  headers?: Record<string, string>
  body?: ContractBody
  signal?: AbortSignal
  /** Send with the adapter's per-request opt-out. */
  optOut?: boolean
}

/** What the client gave back, in the client-neutral words of the contract. */
export interface ContractOutcome {
  status: number
  /** The JSON body, or undefined when the body is not JSON. */
  body: unknown
  /** The client reported the status as its own HTTP error (an AxiosError, ky's HTTPError) rather than resolving. */
  httpError: boolean
  /** The response's `WWW-Authenticate` header, as the caller can read it from the client's result. */
  wwwAuthenticate: string | null
}

/** The adapter options the contract sets. */
export interface ContractAdapterOptions {
  origins?: OriginList
  isUnauthorized?: (response: { status: number }) => boolean
}

/** A client with the adapter attached. */
export interface ContractClient {
  send(request: ContractRequest): Promise<ContractOutcome>
}

/** How the contract drives one adapter with one client configuration. */
export interface AdapterHarness {
  /** Names the adapter and the client configuration, e.g. `'axios, http adapter'`. */
  name: string
  /** How the client hands over an HTTP error status: it rejects (axios, ky) or resolves a response (fetch). */
  httpErrors: 'reject' | 'resolve'
  /**
   * What a 401 does to a one-shot stream body: `'replayed'` from a copy the client keeps anyway (ky with retries,
   * a fetch `Request`), `'not-replayed'` (the 401 reaches the caller), or `'unsupported'` by the client here.
   */
  streamBodies: 'replayed' | 'not-replayed' | 'unsupported'
  /**
   * Whether the adapter sees the caller's own signal, so that a request carrying the signal the refresher handed its
   * refresh function goes through untouched without an opt-out. ky 1 combines signals before any hook runs: it does not.
   */
  recognizesRefreshSignal: boolean
  /** Attaches the adapter to a fresh client. */
  createClient(refresher: TokenRefresher, options?: ContractAdapterOptions): ContractClient
  /**
   * Attaches the adapter to a fresh client that retries a 503 once, the way this client's users add retries
   * (axios-retry, ky's `retry` option, p-retry around the function), calling `beforeRetry` before it sends again.
   */
  createRetryingClient(refresher: TokenRefresher, beforeRetry: () => void): ContractClient
  /** Tells the client's rejection for an aborted request from other failures. */
  isAbortError(error: unknown): boolean
}

/** Reads a fetch `Response` into an outcome, for harnesses of clients built on fetch. */
export async function readOutcome(
  response: Response,
  httpError: boolean,
): Promise<ContractOutcome> {
  const text = await response.text()
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    body = undefined
  }
  return {
    status: response.status,
    body,
    httpError,
    wwwAuthenticate: response.headers.get('www-authenticate'),
  }
}

/** Tells a DOM `AbortError`, which fetch and ky reject with when a signal aborts, from other failures. */
export function isAbortError(error: unknown): boolean {
  return (error as { name?: unknown } | null)?.name === 'AbortError'
}
