import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { seededRandom } from './seeded-random.js'

/** How the token endpoint answers refresh-token grants. */
export type TokenEndpointMode =
  /** Rotates: a current refresh token gets new tokens, a used or unknown one gets `invalid_grant`. */
  | 'ok'
  /** The session was revoked: every refresh answers 400 `invalid_grant`. */
  | 'invalid-grant'
  /** Every refresh answers 500 with a plain-text body. */
  | 'server-error'
  /** Every refresh is held open without an answer until `releaseHungCalls()` or `close()`. */
  | 'hang'

/** Options of {@link startSimulatedProvider}. */
export interface SimulatedProviderOptions {
  /** Lifetime of every access token the provider issues, in the provider's clock milliseconds. */
  accessTokenLifetimeMs: number
  /** `jwt` tokens carry an `exp` claim (for axios-jwt); `opaque` ones reveal nothing. Default `jwt`. */
  tokenFormat?: 'jwt' | 'opaque'
  /** Whether token responses carry `expires_in`. Default true. */
  announceExpiry?: boolean
  /** Real milliseconds the token endpoint takes to answer. Default 0. */
  tokenLatencyMs?: number
  /**
   * Real milliseconds an API request spends in flight before its token is checked, drawn uniformly from
   * `[min, max]`: a request sent just before its token expires comes back 401 late. Default 0.
   */
  apiLatencyMs?: { min: number; max: number }
  /** The provider's clock, in epoch milliseconds. Default `Date.now`. */
  now?: () => number
  /** Seed of the API latency draws. Default 1. */
  seed?: number
}

/** Tokens handed to a client when its session starts. */
export interface IssuedTokens {
  accessToken: string
  refreshToken: string
  /** When the provider stops accepting the access token, on the provider's clock. */
  expiresAt: number
}

/** What the provider has seen; `counters()` returns a copy. */
export interface ProviderCounters {
  /** Every request to the token endpoint, whatever its answer. */
  tokenEndpointCalls: number
  /** Refreshes that rotated the tokens. */
  rotations: number
  invalidGrants: number
  /** Token-endpoint calls that arrived after the first `invalid_grant` answer was sent. */
  callsAfterInvalidGrant: number
  serverErrors: number
  hungCalls: number
  /** Rotations that replaced an access token still in the first half of its lifetime. */
  redundantRefreshes: number
  apiRequests: number
  /** 401 answers of the API. */
  unauthorized: number
  /** See `countExpiry` in the provider: token lifetimes the session had to replace, each counted once. */
  expiries: number
  /** API requests per access-token generation (0 is the token the session started with). */
  requestsByGeneration: Record<number, number>
}

/** A running loopback provider and protected API with its controls. */
export interface SimulatedProvider {
  /** Origin, e.g. `http://127.0.0.1:12345`. */
  origin: string
  tokenUrl: string
  /** Base of the protected API; any GET below it answers 200 for a valid token and 401 otherwise. */
  apiUrl: string
  clientId: string
  accessTokenLifetimeMs: number
  /** Starts the session: issues generation 0, fresh or already expired by `expiresInMs`. */
  issueSession(options: { expiresInMs: number }): IssuedTokens
  setTokenEndpointMode(mode: TokenEndpointMode): void
  counters(): ProviderCounters
  /** Drops the connections of held token calls: their clients see a network error. */
  releaseHungCalls(): void
  close(): Promise<void>
}

interface Generation {
  number: number
  issuedAt: number
  expiresAt: number
  /** Whether this generation's end has been counted in `expiries`. */
  counted: boolean
}

const clientId = 'bench-client'

/**
 * Starts an OAuth 2 token endpoint with single-use rotating refresh tokens and a protected API on one loopback
 * `node:http` server. One session (one user) per provider.
 */
export async function startSimulatedProvider(
  options: SimulatedProviderOptions,
): Promise<SimulatedProvider> {
  const {
    accessTokenLifetimeMs,
    tokenFormat = 'jwt',
    announceExpiry = true,
    tokenLatencyMs = 0,
    apiLatencyMs = { min: 0, max: 0 },
    now = Date.now,
    seed = 1,
  } = options
  const random = seededRandom(seed)
  const accessTokens = new Map<string, Generation>()
  const generations: Generation[] = []
  const hung = new Set<ServerResponse>()
  let currentRefreshToken: string | undefined
  let mode: TokenEndpointMode = 'ok'
  let invalidGrantSent = false
  const counts: ProviderCounters = {
    tokenEndpointCalls: 0,
    rotations: 0,
    invalidGrants: 0,
    callsAfterInvalidGrant: 0,
    serverErrors: 0,
    hungCalls: 0,
    redundantRefreshes: 0,
    apiRequests: 0,
    unauthorized: 0,
    expiries: 0,
    requestsByGeneration: {},
  }

  function mintAccessToken(generation: Generation): string {
    const id = `${generation.number}.${randomUUID()}`
    if (tokenFormat === 'opaque') return `at-${id}`
    const header = base64url({ alg: 'none', typ: 'JWT' })
    const payload = base64url({ sub: 'bench-user', jti: id, exp: generation.expiresAt / 1000 })
    return `${header}.${payload}.bench`
  }

  function issue(issuedAt: number): { accessToken: string; refreshToken: string } {
    const generation: Generation = {
      number: generations.length,
      issuedAt,
      expiresAt: issuedAt + accessTokenLifetimeMs,
      counted: false,
    }
    generations.push(generation)
    const accessToken = mintAccessToken(generation)
    accessTokens.set(accessToken, generation)
    currentRefreshToken = `rt-${generation.number}-${randomUUID()}`
    return { accessToken, refreshToken: currentRefreshToken }
  }

  // An expiry is a token lifetime the session had to replace: the newest access token either expired while
  // requests still came (an API request arrived after its expiry), or a refresh arrived in the second half of
  // its lifetime. Each generation counts at most once, so extra refreshes do not inflate the count, and a
  // client that refreshes ahead of expiry is credited like one that waits for the 401.
  function countExpiry(at: number, byRefresh: boolean): boolean {
    const newest = generations.at(-1)
    if (newest === undefined) return false
    const expired = at >= newest.expiresAt
    const due = expired || (byRefresh && at - newest.issuedAt >= accessTokenLifetimeMs / 2)
    if (due && !newest.counted) {
      newest.counted = true
      counts.expiries++
    }
    return due
  }

  async function handleToken(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const params = await readForm(request)
    counts.tokenEndpointCalls++
    if (invalidGrantSent) counts.callsAfterInvalidGrant++
    if (mode === 'hang') {
      counts.hungCalls++
      hung.add(response)
      response.on('close', () => hung.delete(response))
      return
    }
    if (tokenLatencyMs > 0) await sleep(tokenLatencyMs)
    const at = now()
    const due = countExpiry(at, true)
    if (mode === 'server-error') {
      counts.serverErrors++
      response.writeHead(500, { 'content-type': 'text/plain' }).end('Internal Server Error')
      return
    }
    const presented = params.get('refresh_token')
    if (
      mode === 'invalid-grant' ||
      params.get('grant_type') !== 'refresh_token' ||
      presented === null ||
      presented !== currentRefreshToken
    ) {
      counts.invalidGrants++
      invalidGrantSent = true
      sendJson(response, 400, {
        error: 'invalid_grant',
        error_description: 'The refresh token is invalid, used or revoked',
      })
      return
    }
    if (!due) counts.redundantRefreshes++
    counts.rotations++
    const tokens = issue(at)
    sendJson(response, 200, {
      access_token: tokens.accessToken,
      token_type: 'Bearer',
      refresh_token: tokens.refreshToken,
      ...(announceExpiry ? { expires_in: accessTokenLifetimeMs / 1000 } : {}),
    })
  }

  function handleApi(request: IncomingMessage, response: ServerResponse): void {
    counts.apiRequests++
    const at = now()
    countExpiry(at, false)
    const header = request.headers.authorization ?? ''
    const generation = header.startsWith('Bearer ') ? accessTokens.get(header.slice(7)) : undefined
    if (generation !== undefined) {
      counts.requestsByGeneration[generation.number] =
        (counts.requestsByGeneration[generation.number] ?? 0) + 1
    }
    if (generation === undefined || at >= generation.expiresAt) {
      counts.unauthorized++
      response.writeHead(401, {
        'content-type': 'application/json',
        'www-authenticate': 'Bearer error="invalid_token"',
      })
      response.end('{"error":"invalid_token"}')
      return
    }
    response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}')
  }

  const server = createServer((request, response) => {
    const path = request.url ?? '/'
    if (request.method === 'POST' && path === '/token') {
      handleToken(request, response).catch((error: unknown) => {
        response.destroy(error instanceof Error ? error : undefined)
      })
      return
    }
    if (request.method === 'GET' && path.startsWith('/api/')) {
      // The body of a GET is ignored, but it must be drained for the connection to be reused.
      request.resume()
      const { min, max } = apiLatencyMs
      if (max <= 0) {
        handleApi(request, response)
      } else {
        setTimeout(() => handleApi(request, response), min + random() * (max - min))
      }
      return
    }
    request.resume()
    response.writeHead(404).end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const origin = `http://127.0.0.1:${port}`

  return {
    origin,
    tokenUrl: `${origin}/token`,
    apiUrl: `${origin}/api`,
    clientId,
    accessTokenLifetimeMs,
    issueSession({ expiresInMs }) {
      const issuedAt = now() + expiresInMs - accessTokenLifetimeMs
      const tokens = issue(issuedAt)
      return { ...tokens, expiresAt: issuedAt + accessTokenLifetimeMs }
    },
    setTokenEndpointMode(next) {
      mode = next
    },
    counters() {
      return { ...counts, requestsByGeneration: { ...counts.requestsByGeneration } }
    },
    releaseHungCalls() {
      for (const response of hung) response.destroy()
      hung.clear()
    },
    close() {
      for (const response of hung) response.destroy()
      hung.clear()
      return new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
    },
  }
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url')
}

async function readForm(request: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  const text = Buffer.concat(chunks).toString('utf8')
  if ((request.headers['content-type'] ?? '').includes('json')) {
    const body = JSON.parse(text || '{}') as Record<string, unknown>
    return new URLSearchParams(
      Object.entries(body).flatMap(([key, value]) =>
        typeof value === 'string' ? [[key, value]] : [],
      ),
    )
  }
  return new URLSearchParams(text)
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
