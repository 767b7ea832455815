import type { TokenRefresherOptions } from '@tokenflight/core'

/** What a contender is given to start one session against a provider. */
export interface ContenderSetup {
  tokenUrl: string
  apiUrl: string
  clientId: string
  accessToken: string
  refreshToken: string
  /** When the access token expires, if the client is told (`expires_in` known); undefined otherwise. */
  expiresAt: number | undefined
  accessTokenLifetimeMs: number
  /** Extra options for tokenflight's refresher: a timeout, margins, a clock. Peers ignore them. */
  refresherOptions?: Partial<Omit<TokenRefresherOptions, 'refresh'>>
}

/** One configured HTTP client under test. */
export interface Contender {
  /** GETs `path` below the API and reads the body; rejects when the final answer is not 2xx or the request fails. */
  get(path: string): Promise<void>
  /** Releases timers and state the library keeps between sessions. */
  close(): void
}

/** A library or configuration that the bench compares. */
export interface ContenderDefinition {
  name: string
  /** The package (and version, filled in by the report) whose behaviour this row measures. */
  packageName: string
  client: 'axios' | 'ky' | 'fetch'
  /** How the bench configures it, in one sentence for the report. */
  configuration: string
  /** Whether it can run when the client is not told when tokens expire (axios-jwt needs a JWT `exp`). */
  needsKnownExpiry: boolean
  create(setup: ContenderSetup): Contender
}

/** Fails like an HTTP client would for a non-2xx fetch response, after draining the body (JSON, or none). */
export async function readOk(response: Response): Promise<void> {
  const body = await response.text()
  if (!response.ok) throw new HttpStatusError(response.status)
  if (body !== '') JSON.parse(body)
}

/** A request that got a final non-2xx answer. */
export class HttpStatusError extends Error {
  override name = 'HttpStatusError'
  readonly status: number

  constructor(status: number) {
    super(`HTTP ${status}`)
    this.status = status
  }
}

/** The refresh-token grant body every contender sends. */
export function refreshGrant(refreshToken: string, clientId: string): URLSearchParams {
  return new URLSearchParams({
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
    client_id: clientId,
  })
}
