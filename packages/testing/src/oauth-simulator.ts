import { type DPoPHandle, readRetryAfterMs, TokenEndpointError } from '@tokenflight/core'
import { delay, type HttpHandler, HttpResponse, http } from 'msw'
import {
  type DPoPControls,
  type DPoPProofRecord,
  DPoPVerifier,
  type ProofCheck,
  type SimulatorDPoPOptions,
} from './dpop-verifier.js'
import { echoRequest } from './request-echo.js'
import { abortion, GateQueue, type RequestGate } from './request-gate.js'
import { createSimulatorClock, type SimulatorClock } from './simulator-clock.js'
import { type IssuedTokens, TokenLedger } from './token-ledger.js'

/** Options of {@link createOAuthSimulator}. */
export interface OAuthSimulatorOptions {
  /** The token endpoint. Default `'https://auth.example.test/oauth/token'`. */
  tokenUrl?: string
  /** The protected API: every request below this URL is answered. Default `'https://api.example.test'`. */
  apiUrl?: string
  /** Milliseconds an access token stays valid. Default 3 600 000 (one hour). */
  accessTokenLifetimeMs?: number
  /** Milliseconds the token endpoint waits before it answers. Default 0. */
  tokenLatencyMs?: number
  /** Milliseconds the API waits before it answers. Default 0. */
  apiLatencyMs?: number
  /** Each refresh returns a new refresh token and uses up the old one, as Auth0, Okta or Box do. Default true. */
  rotateRefreshTokens?: boolean
  /** A used refresh token presented again revokes every token of its sign-in (RFC 9700). Default false. */
  reuseDetection?: boolean
  /** The `token_type` issued, and the `Authorization` scheme the API accepts. Default `'Bearer'`. */
  tokenType?: string
  /** Client credentials the token endpoint then requires, by HTTP Basic or in the form. Default: none required. */
  client?: { id: string; secret: string }
  /** The base clock, in epoch milliseconds, that `clock.advance` moves. Default `Date.now`. */
  now?: () => number
  /**
   * DPoP mode (RFC 9449): the token endpoint issues `DPoP` tokens bound to the key of the request's proof, and the
   * API accepts them only with a proof of that key, checked with jose (signature, `htm`, `htu`, `ath`, a unique
   * `jti`, `iat` within a window of the base clock, and by default the server's latest nonce). `true` for the
   * defaults. Default: off.
   */
  dpop?: boolean | SimulatorDPoPOptions
}

/** A failure the token endpoint can be told to answer with. */
export type TokenFailure =
  /** 400 `{ error: 'invalid_grant' }`: the refresh token was rejected, and the session is over. */
  | 'invalid_grant'
  /** 500 with an HTML body. */
  | 'server-error'
  /** 429 with `Retry-After: 1`. */
  | 'rate-limited'
  /** No answer until the client gives up and aborts. */
  | 'hang'
  /** The connection fails: `fetch` rejects with a `TypeError`. */
  | 'network-error'
  /** 200 with a body that is not JSON. */
  | 'malformed-body'

/** One request the API received. */
export interface ApiRequestRecord {
  method: string
  url: string
  /** The status the API answered with. */
  status: number
  /** Bytes of body the API received. */
  bodySize: number
  /** The token in the request's `Authorization` header, whatever its scheme; undefined without one. */
  accessToken: string | undefined
  /** DPoP mode: the proof the request carried, when it could be read. */
  proof?: DPoPProofRecord
  /** The `error` of a 401's `WWW-Authenticate` challenge, such as `invalid_token` or `use_dpop_nonce`. */
  challenge?: string
}

/** Counters a test asserts on; they only grow. */
export interface SimulatorStats {
  /** Requests to the token endpoint, whatever their grant or outcome. */
  readonly refreshCalls: number
  /** Refresh requests that presented a refresh token which had already been used. */
  readonly reusedRefreshTokens: number
  /** 401 responses the API sent. */
  readonly unauthorizedResponses: number
  /** Every request the API received, in order of arrival. */
  readonly apiRequests: readonly ApiRequestRecord[]
  /** How many API requests presented each access token, valid or not. */
  readonly requestsByToken: ReadonlyMap<string, number>
  /** DPoP mode: answers that asked for the server's new nonce (`use_dpop_nonce`), by the token endpoint and the API. */
  readonly nonceChallenges: { readonly token: number; readonly api: number }
  /** DPoP mode: proofs refused as invalid (`invalid_dpop_proof`), by the token endpoint or the API. */
  readonly invalidProofs: number
}

/**
 * A refresh function for `createTokenRefresher` that calls the simulated token endpoint through the global `fetch`:
 * the `refresh_token` grant when it is given a refresh token, the `client_credentials` grant otherwise.
 */
export type SimulatorRefreshFunction = (context: {
  tokens: { refreshToken?: string } | undefined
  signal: AbortSignal
  /** The refresher's DPoP handle: the token request carries its proof, and is sent again once for a new nonce. */
  dpop?: DPoPHandle
}) => Promise<IssuedTokens>

/** A simulated OAuth 2 provider and protected API, with the controls and counters a test needs. */
export interface OAuthSimulator {
  /** The MSW handlers: pass them to `setupServer`, `setupWorker` or `server.use`. */
  readonly handlers: HttpHandler[]
  readonly tokenUrl: string
  readonly apiUrl: string
  readonly clock: SimulatorClock
  readonly stats: SimulatorStats
  /** A ready refresh function; errors carry the RFC 6749 `error` code, so `invalid_grant` ends the session. */
  readonly refresh: SimulatorRefreshFunction
  /**
   * Starts a session as a sign-in would, and returns its tokens, to use as `initialTokens`. In DPoP mode `jkt`, the
   * thumbprint of the client's key (`await dpop.thumbprint()`), is required: the tokens are bound to that key.
   */
  signIn(options?: { scope?: string; jkt?: string }): IssuedTokens
  /** The controls of DPoP mode; undefined without it. */
  readonly dpop: DPoPControls | undefined
  /** Makes the API reject every access token issued so far, as if they had expired early. */
  expireAccessTokens(): void
  /** Revokes every token issued so far: the API answers 401 and refreshes fail with `invalid_grant`. */
  revokeSession(): void
  /** Answers the next `times` token requests (default 1; `Infinity` for all) with a failure. */
  failTokenRequests(failure: TokenFailure, options?: { times?: number }): void
  /** Answers the next `times` authorized API requests (default 1) with `status` instead of an echo. */
  failApiRequests(status: number, options?: { times?: number }): void
  /**
   * Holds the next `count` token requests (default 1) until the gate is released. A request whose client gives up
   * while it is held never reaches the provider: it changes nothing, as a request lost in the network would.
   */
  holdTokenRequests(count?: number): RequestGate
  /** Holds the next `count` API requests (default 1) until the gate is released; they are checked on release. */
  holdApiRequests(count?: number): RequestGate
  /** Every access and refresh token issued so far, to check that none leaks into a message or a log. */
  issuedTokens(): string[]
}

interface Injection<T> {
  value: T
  remaining: number
}

const noStore = { 'Cache-Control': 'no-store', Pragma: 'no-cache' }

/**
 * Creates a simulated OAuth 2 provider (token endpoint with the `refresh_token` and `client_credentials` grants,
 * rotating refresh tokens, optional reuse detection) and a protected API that echoes what it receives.
 *
 * @example
 * const simulator = createOAuthSimulator()
 * server.use(...simulator.handlers)
 * const refresher = createTokenRefresher({
 *   refresh: simulator.refresh,
 *   initialTokens: simulator.signIn(),
 *   now: simulator.clock.now,
 * })
 */
export function createOAuthSimulator(options: OAuthSimulatorOptions = {}): OAuthSimulator {
  const tokenUrl = urlOption(options, 'tokenUrl', 'https://auth.example.test/oauth/token')
  const apiUrl = urlOption(options, 'apiUrl', 'https://api.example.test').replace(/\/+$/, '')
  const accessTokenLifetimeMs = durationOption(options, 'accessTokenLifetimeMs', 3_600_000)
  const tokenLatencyMs = durationOption(options, 'tokenLatencyMs', 0)
  const apiLatencyMs = durationOption(options, 'apiLatencyMs', 0)
  const dpopOptions = options.dpop === true ? {} : options.dpop || undefined
  if (dpopOptions !== undefined) checkDPoPOptions(dpopOptions, options.tokenType)
  const tokenType = dpopOptions === undefined ? (options.tokenType ?? 'Bearer') : 'DPoP'
  if (typeof tokenType !== 'string' || !/^[\w!#$%&'*+.^`|~-]+$/.test(tokenType)) {
    throw new TypeError('Expected `tokenType` to be an HTTP authentication scheme such as `Bearer`')
  }
  const { client } = options
  if (
    client !== undefined &&
    (typeof client?.id !== 'string' || typeof client.secret !== 'string')
  ) {
    throw new TypeError('Expected `client` to have string `id` and `secret`')
  }
  const baseNow = options.now ?? Date.now
  const clock = createSimulatorClock(baseNow)
  // Proofs carry the time of the machine that signs them, which `clock.advance` does not move.
  const verifier = dpopOptions === undefined ? undefined : new DPoPVerifier(dpopOptions, baseNow)
  const ledger = new TokenLedger({
    accessTokenLifetimeMs,
    rotateRefreshTokens: options.rotateRefreshTokens ?? true,
    reuseDetection: options.reuseDetection ?? false,
    tokenType,
    now: clock.now,
  })

  const apiRequests: ApiRequestRecord[] = []
  const requestsByToken = new Map<string, number>()
  const counters = {
    refreshCalls: 0,
    reusedRefreshTokens: 0,
    unauthorizedResponses: 0,
    invalidProofs: 0,
  }
  const nonceChallenges = { token: 0, api: 0 }
  const stats: SimulatorStats = {
    get refreshCalls() {
      return counters.refreshCalls
    },
    get reusedRefreshTokens() {
      return counters.reusedRefreshTokens
    },
    get unauthorizedResponses() {
      return counters.unauthorizedResponses
    },
    apiRequests,
    requestsByToken,
    nonceChallenges,
    get invalidProofs() {
      return counters.invalidProofs
    },
  }
  const tokenFailures: Injection<TokenFailure>[] = []
  const apiFailures: Injection<number>[] = []
  const tokenGates = new GateQueue()
  const apiGates = new GateQueue()

  const tokenEndpoint = http.post(tokenUrl, async ({ request }) => {
    counters.refreshCalls++
    if (tokenLatencyMs > 0) await delay(tokenLatencyMs)
    await tokenGates.pass(request.signal)
    // A request given up while held never reached the provider: it consumes no refresh token.
    if (request.signal.aborted) return HttpResponse.error()
    const failure = take(tokenFailures)
    if (failure !== undefined) return failTokenRequest(failure, request.signal)

    if (!/^application\/x-www-form-urlencoded/i.test(request.headers.get('content-type') ?? '')) {
      return oauthError(
        400,
        'invalid_request',
        'Expected an application/x-www-form-urlencoded body',
      )
    }
    const form = new URLSearchParams(await request.text())
    const clientProblem = authenticateClient(request.headers.get('authorization'), form, client)
    if (clientProblem !== undefined) return oauthError(401, 'invalid_client', clientProblem)

    let jkt: string | undefined
    if (verifier !== undefined) {
      const check = await verifier.check(request, 'token')
      if (!check.ok) return refuseProof(check, 'token')
      jkt = check.record.jkt
    }
    const scope = form.get('scope') ?? undefined
    switch (form.get('grant_type')) {
      case 'client_credentials':
        return tokenResponse(ledger.clientCredentials(scope, jkt))
      case 'refresh_token': {
        const refreshToken = form.get('refresh_token')
        if (refreshToken === null || refreshToken === '') {
          return oauthError(400, 'invalid_request', 'Missing refresh_token')
        }
        // RFC 9449 §5: a refresh token bound to a key is refreshed with a proof of that key only.
        const boundKey = ledger.boundKeyOf(refreshToken)
        if (verifier !== undefined && boundKey !== undefined && boundKey !== jkt) {
          counters.invalidProofs++
          return withNonce(
            oauthError(400, 'invalid_dpop_proof', 'The refresh token is bound to another key'),
            'token',
          )
        }
        const outcome = ledger.refresh(refreshToken)
        if (outcome.ok) return tokenResponse(outcome.tokens)
        if (outcome.reused) counters.reusedRefreshTokens++
        return oauthError(400, 'invalid_grant', outcome.description)
      }
      default:
        return oauthError(
          400,
          'unsupported_grant_type',
          'Expected refresh_token or client_credentials',
        )
    }
  })

  const api = http.all(`${apiUrl}/*`, async ({ request }) => {
    if (apiLatencyMs > 0) await delay(apiLatencyMs)
    await apiGates.pass(request.signal)
    const bytes = new Uint8Array(await request.arrayBuffer())
    const presented = readAuthorization(request.headers.get('authorization'))
    const accessToken = presented?.token
    if (accessToken !== undefined) {
      requestsByToken.set(accessToken, (requestsByToken.get(accessToken) ?? 0) + 1)
    }
    let response: Response
    let proof: ProofCheck | undefined
    if (verifier !== undefined && presented !== undefined) {
      verifier.apiRequestArrived()
      proof = await verifier.check(request, 'api', {
        accessToken: presented.token,
        jkt: ledger.boundKeyOf(presented.token),
      })
    }
    // The proof is checked before the token, as oidc-provider does: a stale nonce is asked for again even when the
    // token has expired too, and the request that brings the nonce then learns that it needs a refresh.
    if (presented === undefined) {
      response = unauthorized(`${tokenType} realm="api"`)
    } else if (proof !== undefined && !proof.ok) {
      response = refuseProof(proof, 'api')
    } else if (
      presented.scheme.toLowerCase() !== tokenType.toLowerCase() ||
      !ledger.accepts(presented.token)
    ) {
      response = unauthorized(`${tokenType} error="invalid_token"`)
    } else {
      const status = take(apiFailures)
      response =
        status === undefined
          ? HttpResponse.json(await echoRequest(request, bytes), { headers: noStore })
          : status === 401
            ? unauthorized(`${tokenType} error="invalid_token"`)
            : HttpResponse.json({ error: 'injected_failure' }, { status })
    }
    if (response.status === 401) counters.unauthorizedResponses++
    const record: ApiRequestRecord = {
      method: request.method,
      url: request.url,
      status: response.status,
      bodySize: bytes.byteLength,
      accessToken,
    }
    if (proof?.ok === false ? proof.record !== undefined : proof !== undefined) {
      record.proof = (proof as { record: DPoPProofRecord }).record
    }
    const challenge = challengeError(response.headers.get('www-authenticate'))
    if (challenge !== undefined) record.challenge = challenge
    apiRequests.push(record)
    return verifier === undefined ? response : withNonce(response, 'api')
  })

  function refuseProof(check: Extract<ProofCheck, { ok: false }>, endpoint: 'token' | 'api') {
    if (check.error === 'use_dpop_nonce') nonceChallenges[endpoint]++
    else counters.invalidProofs++
    const refusal =
      endpoint === 'token'
        ? oauthError(400, check.error, check.description)
        : unauthorized(
            `DPoP error="${check.error}", error_description="${check.description}", algs="ES256 EdDSA RS256 PS256"`,
          )
    return withNonce(refusal, endpoint)
  }

  // Every answer of a server that demands nonces carries the one it wants next (RFC 9449 §8, §9).
  function withNonce(response: Response, endpoint: 'token' | 'api'): Response {
    const nonce = verifier?.nonceOf(endpoint)
    if (nonce !== undefined) response.headers.set('DPoP-Nonce', nonce)
    return response
  }

  const refresh: SimulatorRefreshFunction = async ({ tokens, signal, dpop }) => {
    const refreshToken = tokens?.refreshToken
    const body =
      refreshToken === undefined
        ? new URLSearchParams({ grant_type: 'client_credentials' })
        : new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken })
    const headers: Record<string, string> = {}
    if (client !== undefined) {
      headers.Authorization = `Basic ${btoa(`${encodeURIComponent(client.id)}:${encodeURIComponent(client.secret)}`)}`
    }
    if (dpop === undefined) {
      return readTokenResponse(
        await fetch(tokenUrl, { method: 'POST', body, headers, signal }),
        clock.now,
      )
    }
    // RFC 9449 §8: an answer asking for a nonce is followed by the same request, once, with a proof that has it.
    for (let attempt = 1; ; attempt++) {
      headers.DPoP = await dpop.proof({ method: 'POST', url: tokenUrl })
      const response = await fetch(tokenUrl, { method: 'POST', body, headers, signal })
      dpop.learnNonce(tokenUrl, response.headers.get('dpop-nonce'))
      if (attempt === 1 && response.status === 400 && (await asksForNonce(response))) continue
      return readTokenResponse(response, clock.now)
    }
  }

  return {
    handlers: [tokenEndpoint, api],
    tokenUrl,
    apiUrl,
    clock,
    stats,
    refresh,
    signIn: (signInOptions = {}) => {
      const { scope, jkt } = signInOptions
      if (verifier !== undefined && (typeof jkt !== 'string' || jkt === '')) {
        throw new TypeError(
          'Expected `jkt` in DPoP mode: the thumbprint of the key the tokens are bound to, from `await dpop.thumbprint()`',
        )
      }
      return ledger.signIn(scope, verifier === undefined ? undefined : jkt)
    },
    dpop:
      verifier === undefined
        ? undefined
        : {
            rotateNonce: () => verifier.rotateNonce(),
            get apiNonce() {
              return verifier.apiNonce
            },
          },
    expireAccessTokens: () => ledger.expireAccessTokens(),
    revokeSession: () => ledger.revokeAll(),
    failTokenRequests: (failure, { times = 1 } = {}) => {
      tokenFailures.push({ value: failure, remaining: timesOption(times) })
    },
    failApiRequests: (status, { times = 1 } = {}) => {
      if (!Number.isInteger(status) || status < 400 || status > 599) {
        throw new TypeError('Expected `status` to be an HTTP error status from 400 to 599')
      }
      apiFailures.push({ value: status, remaining: timesOption(times) })
    },
    holdTokenRequests: (count = 1) => tokenGates.open(count),
    holdApiRequests: (count = 1) => apiGates.open(count),
    issuedTokens: () => ledger.issued(),
  }

  function tokenResponse(tokens: IssuedTokens): Response {
    const body: Record<string, unknown> = {
      access_token: tokens.accessToken,
      token_type: tokens.tokenType,
      expires_in: accessTokenLifetimeMs / 1000,
    }
    if (tokens.refreshToken !== undefined) body.refresh_token = tokens.refreshToken
    if (tokens.scope !== undefined) body.scope = tokens.scope
    return HttpResponse.json(body, { headers: noStore })
  }
}

async function failTokenRequest(failure: TokenFailure, signal: AbortSignal): Promise<Response> {
  switch (failure) {
    case 'invalid_grant':
      return oauthError(400, 'invalid_grant', 'The refresh token is invalid')
    case 'server-error':
      return new HttpResponse('<h1>Internal Server Error</h1>', {
        status: 500,
        headers: { 'Content-Type': 'text/html' },
      })
    case 'rate-limited':
      return new HttpResponse('Too Many Requests', { status: 429, headers: { 'Retry-After': '1' } })
    case 'hang':
      await abortion(signal)
      return HttpResponse.error()
    case 'network-error':
      return HttpResponse.error()
    case 'malformed-body':
      return new HttpResponse('{"token_type": "Bearer", "expires_in": ', {
        headers: { 'Content-Type': 'application/json' },
      })
  }
}

async function asksForNonce(response: Response): Promise<boolean> {
  try {
    return ((await response.clone().json()) as { error?: unknown }).error === 'use_dpop_nonce'
  } catch {
    return false
  }
}

function challengeError(header: string | null): string | undefined {
  return header === null ? undefined : /error="([^"]*)"/.exec(header)?.[1]
}

function checkDPoPOptions(options: unknown, tokenType: unknown): void {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('Expected `dpop` to be true or an object of DPoP options')
  }
  if (tokenType !== undefined) {
    throw new TypeError('Expected no `tokenType` with `dpop`: DPoP mode issues tokens of type DPoP')
  }
  const { nonces, rotateNonceEvery, iatWindowMs } = options as SimulatorDPoPOptions
  if (nonces !== undefined && typeof nonces !== 'boolean') {
    throw new TypeError('Expected `dpop.nonces` to be a boolean')
  }
  if (
    rotateNonceEvery !== undefined &&
    !(Number.isInteger(rotateNonceEvery) && rotateNonceEvery >= 1)
  ) {
    throw new TypeError('Expected `dpop.rotateNonceEvery` to be a positive integer')
  }
  if (iatWindowMs !== undefined && !(typeof iatWindowMs === 'number' && iatWindowMs >= 0)) {
    throw new TypeError('Expected `dpop.iatWindowMs` to be a non-negative number of milliseconds')
  }
}

function oauthError(status: number, error: string, description: string): Response {
  const headers: Record<string, string> = { ...noStore }
  if (status === 401) headers['WWW-Authenticate'] = 'Basic realm="token"'
  return HttpResponse.json({ error, error_description: description }, { status, headers })
}

function unauthorized(challenge: string): Response {
  return HttpResponse.json(
    { error: 'invalid_token' },
    { status: 401, headers: { 'WWW-Authenticate': challenge } },
  )
}

// RFC 6749, section 2.3.1: HTTP Basic with URL-encoded id and secret, or both in the form; never a bearer token.
function authenticateClient(
  authorization: string | null,
  form: URLSearchParams,
  client: { id: string; secret: string } | undefined,
): string | undefined {
  if (authorization !== null) {
    const presented = readAuthorization(authorization)
    if (presented?.scheme.toLowerCase() !== 'basic') {
      return 'The token endpoint takes client credentials, not an access token'
    }
    if (client === undefined) return undefined
    let decoded = ''
    try {
      decoded = atob(presented.token)
    } catch {
      return 'Malformed Basic credentials'
    }
    const colon = decoded.indexOf(':')
    const id = decodeURIComponent(decoded.slice(0, colon))
    const secret = decodeURIComponent(decoded.slice(colon + 1))
    return id === client.id && secret === client.secret ? undefined : 'Client authentication failed'
  }
  if (client === undefined) return undefined
  return form.get('client_id') === client.id && form.get('client_secret') === client.secret
    ? undefined
    : 'Client authentication failed'
}

function readAuthorization(header: string | null): { scheme: string; token: string } | undefined {
  if (header === null) return undefined
  const space = header.indexOf(' ')
  if (space <= 0) return undefined
  return { scheme: header.slice(0, space), token: header.slice(space + 1).trim() }
}

async function readTokenResponse(response: Response, now: () => number): Promise<IssuedTokens> {
  const text = await response.text()
  let body: Record<string, unknown>
  try {
    body = JSON.parse(text)
  } catch {
    // The parser's message would quote the body, and a body may hold a token.
    throw new TokenEndpointError(
      `Token endpoint answered ${response.status} with a body that is not JSON`,
      { status: response.status, retryAfterMs: readRetryAfterMs(response, now()) },
    )
  }
  if (!response.ok || typeof body.error === 'string') {
    const error = typeof body.error === 'string' ? body.error : undefined
    const description =
      typeof body.error_description === 'string' ? body.error_description : undefined
    throw new TokenEndpointError(
      `Token endpoint answered ${response.status} ${error ?? ''}`.trim(),
      {
        error,
        errorDescription: description,
        status: response.status,
        retryAfterMs: readRetryAfterMs(response, now()),
      },
    )
  }
  const tokens: IssuedTokens = {
    accessToken: String(body.access_token),
    expiresAt: now() + Number(body.expires_in) * 1000,
    tokenType: String(body.token_type),
  }
  if (typeof body.refresh_token === 'string') tokens.refreshToken = body.refresh_token
  if (typeof body.scope === 'string') tokens.scope = body.scope
  return tokens
}

function take<T>(queue: Injection<T>[]): T | undefined {
  const next = queue[0]
  if (next === undefined) return undefined
  if (--next.remaining <= 0) queue.shift()
  return next.value
}

function timesOption(times: number): number {
  if (times !== Number.POSITIVE_INFINITY && (!Number.isInteger(times) || times < 1)) {
    throw new TypeError('Expected `times` to be a positive integer or Infinity')
  }
  return times
}

function urlOption(
  options: OAuthSimulatorOptions,
  name: 'tokenUrl' | 'apiUrl',
  defaultValue: string,
): string {
  const value = options[name] ?? defaultValue
  if (typeof value !== 'string' || !URL.canParse(value)) {
    throw new TypeError(`Expected \`${name}\` to be an absolute URL`)
  }
  return value
}

function durationOption(
  options: OAuthSimulatorOptions,
  name: 'accessTokenLifetimeMs' | 'tokenLatencyMs' | 'apiLatencyMs',
  defaultValue: number,
): number {
  const value = options[name] ?? defaultValue
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new TypeError(`Expected \`${name}\` to be a non-negative finite number of milliseconds`)
  }
  return value
}
