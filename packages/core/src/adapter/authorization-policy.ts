import { peekFreshAccessToken } from '../fresh-access-token.js'
import type { TokenRefresher, WaitOptions } from '../index.js'
import { parseWwwAuthenticate } from '../www-authenticate.js'
import { resolveAdapterOptions, type TokenRefreshAdapterOptions } from './adapter-options.js'
import { authorizationFor } from './authorization.js'
import { discardBody } from './discard-body.js'

const inspectSymbol = Symbol.for('nodejs.util.inspect.custom')

/** The request a set of credentials is for: a DPoP proof covers its method and its URL. */
export interface RequestTarget {
  /** The HTTP method, as the client sends it. */
  method: string
  /** The request URL, absolute or relative to the page; its query and fragment are left out of the proof. */
  url: string | URL
}

let targetOf: (credentials: RequestCredentials) => RequestTarget | undefined

/**
 * The credentials one request is sent with. The policy hands them out and reads them back when that request meets
 * a 401, so that the refresh is asked about the very token the request carried.
 */
export class RequestCredentials {
  /**
   * The headers to set on the request, by lower-case name: `authorization`, `<tokenType> <accessToken>`, and for a
   * DPoP token `dpop`, the proof signed for this request.
   */
  readonly headers: Readonly<Record<string, string>>
  /** These are the credentials of the one replay after a 401: a 401 they meet goes to the caller. */
  readonly isReplay: boolean
  /** These credentials answer a DPoP `use_dpop_nonce` challenge: another one goes to the caller. */
  readonly isNonceRetry: boolean
  readonly #accessToken: string
  // Set for DPoP credentials only: the request their proof covers, signed again for a replay.
  readonly #target: RequestTarget | undefined

  static {
    targetOf = (credentials) => credentials.#target
  }

  /** @internal Made by an {@link AuthorizationPolicy} only. */
  constructor(
    headers: Readonly<Record<string, string>>,
    accessToken: string,
    isReplay: boolean,
    isNonceRetry = false,
    target: RequestTarget | undefined = undefined,
  ) {
    this.headers = headers
    this.#accessToken = accessToken
    this.isReplay = isReplay
    this.isNonceRetry = isNonceRetry
    this.#target = target
  }

  /** The access token these credentials carry. */
  get accessToken(): string {
    return this.#accessToken
  }

  /** Serializes without the headers, which carry the token: the credentials may sit on a logged request config. */
  toJSON(): { isReplay: boolean; isNonceRetry: boolean } {
    return { isReplay: this.isReplay, isNonceRetry: this.isNonceRetry }
  }

  [inspectSymbol](): string {
    return `RequestCredentials { isReplay: ${this.isReplay}, isNonceRetry: ${this.isNonceRetry} }`
  }
}

/** What the policy reads of an HTTP client's response, beyond its `status`. */
export interface ResponseAccess<TResponse> {
  /** The response's `WWW-Authenticate` header, if any. */
  wwwAuthenticate(response: TResponse): string | null | undefined
  /**
   * Any header of the response, by lower-case name, such as `dpop-nonce`. Required when the refresher has a `dpop`
   * handle: the policy learns each server's DPoP nonce from its responses.
   */
  header?(response: TResponse, name: string): string | null | undefined
  /** Frees a response nobody will read, such as an unread fetch body that holds its connection. */
  discard?(response: TResponse): void
}

/** {@link ResponseAccess} for fetch `Response`s, which ky and fetch wrappers get. */
export const fetchResponseAccess: ResponseAccess<Response> = {
  wwwAuthenticate: (response) => response.headers.get('www-authenticate'),
  header: (response, name) => response.headers.get(name),
  discard: discardBody,
}

/** Lets one request stop waiting for a token; a refresh shared with others goes on for them. */
export interface RequestWaitOptions {
  /** The request's signal; anything but an `AbortSignal` (axios accepts look-alikes) is not waited on. */
  signal?: unknown
}

/** Options of {@link AuthorizationPolicy.authorize}. */
export interface AuthorizeOptions extends RequestWaitOptions {
  /**
   * The request to authorize, which a DPoP proof covers: required when {@link AuthorizationPolicy.usesDPoP} is
   * true, and not read otherwise.
   */
  request?: RequestTarget | undefined
  /**
   * The credentials an earlier attempt of the same request carried, when a client's retry sends it again: the new
   * credentials keep its place, so that a replayed request is still not replayed twice.
   */
  previous?: RequestCredentials | undefined
}

/** Options of {@link AuthorizationPolicy.replayAfterUnauthorized}. */
export interface ReplayOptions extends RequestWaitOptions {
  /** Whether the request body can be sent again; a one-shot stream the first attempt read cannot. Default `true`. */
  replayable?: boolean | undefined
}

/** Options of {@link AuthorizationPolicy.send}. */
export interface SendOptions extends ReplayOptions {
  /**
   * The request to send, which a DPoP proof covers: required when {@link AuthorizationPolicy.usesDPoP} is true, and
   * not read otherwise.
   */
  request?: RequestTarget | undefined
  /** Credentials the first attempt already carries, set by the client's own hook; default: the policy authorizes it. */
  credentials?: RequestCredentials | undefined
}

/**
 * The one replay policy every tokenflight adapter follows (DESIGN.md behaviours 11 to 15, and 22's 401 and 403):
 * authorize a request with the current token, remember the token it was sent with, answer one 401 with
 * `refreshAfterUnauthorized` and one replay, discard the 401 it replaces, and hand the 401 of a body that cannot
 * be sent again to the caller. A 401 whose challenge says `insufficient_scope`, and any 403, refresh nothing.
 *
 * For a `DPoP` token set (RFC 9449) each request also carries a proof signed for it with the refresher's `dpop`
 * handle, the nonce of each server is learned from its responses, and a 401 that asks for a new nonce
 * (`use_dpop_nonce`) is answered once with a new proof and no refresh.
 */
export interface AuthorizationPolicy<TResponse> {
  /** Tests a request URL against the `origins` option; undefined when every origin is allowed. */
  readonly isAllowedUrl: ((url: string) => boolean) | undefined
  /**
   * True when the refresher has a `dpop` handle: pass `request` to {@link AuthorizationPolicy.authorize} and
   * {@link AuthorizationPolicy.send}, and each response to {@link AuthorizationPolicy.learnNonce}.
   */
  readonly usesDPoP: boolean
  /**
   * Whether a response says the access token was rejected: the `isUnauthorized` option, or the default; with a
   * `dpop` handle, also a 401 asking for a new DPoP nonce.
   */
  isUnauthorized(response: TResponse): boolean
  /**
   * Learns the `DPoP-Nonce` of a response to a request sent with `sent`, for the next proofs to that origin; nothing
   * for bearer credentials. `send` and `replayAfterUnauthorized` do it themselves; an adapter built on hooks calls it
   * with every other response.
   */
  learnNonce(sent: RequestCredentials, response: TResponse): void
  /** Waits for the access token (at once while it is fresh) and returns the credentials to send a request with. */
  authorize(options?: AuthorizeOptions): Promise<RequestCredentials>
  /**
   * The credentials {@link AuthorizationPolicy.authorize} would resolve with, returned without a promise while the
   * bearer token is fresh; undefined when the adapter must await `authorize` (a refresh is due or running, the token
   * set is DPoP-bound, or the refresher is not core's). An adapter whose hook may return a value or a promise sends
   * most requests a turn of the microtask queue sooner, and allocates no promise for them.
   */
  authorizeNow(options?: AuthorizeOptions): RequestCredentials | undefined
  /**
   * Answers a response that {@link AuthorizationPolicy.isUnauthorized} flagged, for a request sent with `sent`: refreshes (unless another
   * request did already) and calls `replay` with new credentials, once; a DPoP `use_dpop_nonce` challenge is
   * answered with a new proof for the same token instead, once. Resolves undefined when the response goes to the
   * caller as it is: the request was a replay already, or its body cannot be sent again. A failed refresh rejects
   * with core's typed error.
   */
  replayAfterUnauthorized<TResult>(
    sent: RequestCredentials,
    response: TResponse,
    replay: (credentials: RequestCredentials) => Promise<TResult>,
    options?: ReplayOptions,
  ): Promise<TResult | undefined>
  /**
   * Authorizes a request, sends it with `attempt`, and answers a 401 by calling `attempt` once more with the
   * replay's credentials; for clients whose adapter wraps the call that sends.
   */
  send<TResult extends TResponse>(
    attempt: (credentials: RequestCredentials) => Promise<TResult>,
    options?: SendOptions,
  ): Promise<TResult>
}

/**
 * Builds the replay policy for an adapter from the options its user passed; misuse throws a `TypeError` naming the
 * argument or option.
 *
 * @example
 * const policy = createAuthorizationPolicy(refresher, options, fetchResponseAccess)
 * const response = await policy.send((credentials) =>
 *   fetch(url, { headers: { ...headers, ...credentials.headers } }),
 * )
 */
export function createAuthorizationPolicy<TResponse extends { status: number }>(
  refresher: TokenRefresher,
  options: TokenRefreshAdapterOptions<TResponse> | undefined,
  access: ResponseAccess<TResponse>,
): AuthorizationPolicy<TResponse> {
  const resolved = resolveAdapterOptions(refresher, options)
  const { discard } = access
  const dpop = refresher.dpop
  const readHeader = access.header
  if (dpop !== undefined && typeof readHeader !== 'function') {
    throw new TypeError(
      "Expected `access.header` to read a response's headers: the refresher's `dpop` handle learns DPoP nonces from them",
    )
  }
  const asksForNonce = (response: TResponse) =>
    response.status === 401 && saysUseDPoPNonce(access.wwwAuthenticate(response))
  const tokenRejected =
    resolved.isUnauthorized ??
    ((response: TResponse) =>
      response.status === 401 && !saysInsufficientScope(access.wwwAuthenticate(response)))
  const isUnauthorized =
    dpop === undefined
      ? tokenRejected
      : (response: TResponse) => asksForNonce(response) || tokenRejected(response)

  // Every request sent while one bearer token is fresh gets the same credentials, made once for that token set: the
  // hot path then builds no header string and allocates nothing here. Adapters only read credentials. DPoP
  // credentials are never kept: each proof is for one request only.
  let cached: { tokens: unknown; credentials: RequestCredentials } | undefined

  function bearerCredentials(
    accessToken: string,
    isReplay: boolean,
    isNonceRetry = false,
  ): RequestCredentials {
    const tokens = refresher.getTokens()
    const first = !isReplay && !isNonceRetry
    const last = cached
    if (
      first &&
      last !== undefined &&
      last.tokens === tokens &&
      last.credentials.accessToken === accessToken
    ) {
      return last.credentials
    }
    const isCurrent = tokens?.accessToken === accessToken
    if (isCurrent && isDPoP(tokens.tokenType)) throw missingDPoPHandle()
    const credentials = new RequestCredentials(
      { authorization: authorizationFor(refresher, accessToken) },
      accessToken,
      isReplay,
      isNonceRetry,
    )
    // Credentials for a token the refresher no longer holds (a stale 401's) are not kept, nor a replay's.
    if (first) cached = isCurrent ? { tokens, credentials } : undefined
    return credentials
  }

  function credentialsFor(
    accessToken: string,
    isReplay: boolean,
    isNonceRetry: boolean,
    target: RequestTarget | undefined,
  ): RequestCredentials | Promise<RequestCredentials> {
    if (dpop !== undefined) {
      // A token the refresher has already replaced (a stale 401's) is sent as the current token set's type.
      const tokens = refresher.getTokens()
      if (isDPoP(tokens?.tokenType)) {
        return dpopCredentials(accessToken, isReplay, isNonceRetry, target)
      }
    }
    return bearerCredentials(accessToken, isReplay, isNonceRetry)
  }

  async function dpopCredentials(
    accessToken: string,
    isReplay: boolean,
    isNonceRetry: boolean,
    target: RequestTarget | undefined,
  ): Promise<RequestCredentials> {
    if (dpop === undefined) throw missingDPoPHandle()
    if (typeof target?.method !== 'string' || target.url === undefined) {
      throw new TypeError(
        'Expected `request` ({ method, url }) in the options of `authorize` or `send`: a DPoP proof covers the request it is sent with',
      )
    }
    const proof = await dpop.proof({ method: target.method, url: target.url, accessToken })
    return new RequestCredentials(
      { authorization: `DPoP ${accessToken}`, dpop: proof },
      accessToken,
      isReplay,
      isNonceRetry,
      target,
    )
  }

  function learnNonce(sent: RequestCredentials, response: TResponse): void {
    const target = targetOf(sent)
    if (target === undefined || dpop === undefined || readHeader === undefined) return
    dpop.learnNonce(target.url, readHeader(response, 'dpop-nonce'))
  }

  async function replayAfterUnauthorized<TResult>(
    sent: RequestCredentials,
    response: TResponse,
    replay: (credentials: RequestCredentials) => Promise<TResult>,
    replayOptions?: ReplayOptions,
  ): Promise<TResult | undefined> {
    const target = targetOf(sent)
    if (target !== undefined && asksForNonce(response)) {
      learnNonce(sent, response)
      // The token stands; the proof lacked the nonce the server wants now. A second such answer for the same
      // request goes to the caller, so that a server whose nonce changes with every answer cannot make it loop.
      if (sent.isNonceRetry || replayOptions?.replayable === false) return undefined
      const credentials = await dpopCredentials(sent.accessToken, sent.isReplay, true, target)
      discard?.(response)
      return replay(credentials)
    }
    if (sent.isReplay) return undefined
    let credentials: RequestCredentials
    try {
      const token = await refresher.refreshAfterUnauthorized(
        sent.accessToken,
        waitOptionsOf(replayOptions),
      )
      // A one-shot stream was used up by the first attempt. Rather than replay it empty, hand the 401 to the
      // caller: the token is fresh now, so the caller's next request, with a new stream, goes through.
      if (replayOptions?.replayable === false) return undefined
      credentials = await credentialsFor(token, true, sent.isNonceRetry, target)
    } catch (error) {
      discard?.(response)
      throw error
    }
    discard?.(response)
    return replay(credentials)
  }

  // Without a `dpop` handle every request is a bearer request: this is the hot path, kept to its few steps.
  // Not an async function: with a fresh token (read without a promise) the request is sent at once, and its
  // response costs one reaction; only a request that must wait for a token waits for `getAccessToken` first.
  function sendBearer<TResult extends TResponse>(
    attempt: (credentials: RequestCredentials) => Promise<TResult>,
    sendOptions?: SendOptions,
  ): Promise<TResult> {
    let sent = sendOptions?.credentials
    if (sent === undefined) {
      // What `authorizeNow` does, written out: calling it here costs about 90 instructions a request (callgrind).
      const token = peekFreshAccessToken(refresher)
      if (token === undefined) {
        return refresher
          .getAccessToken(waitOptionsOf(sendOptions))
          .then((waited) => sendWith(bearerCredentials(waited, false), attempt, sendOptions))
      }
      sent = bearerCredentials(token, false)
    }
    return sendWith(sent, attempt, sendOptions)
  }

  function sendWith<TResult extends TResponse>(
    credentials: RequestCredentials,
    attempt: (credentials: RequestCredentials) => Promise<TResult>,
    sendOptions: SendOptions | undefined,
  ): Promise<TResult> {
    try {
      return attempt(credentials).then((response) =>
        isUnauthorized(response)
          ? answerUnauthorized(credentials, response, attempt, sendOptions)
          : response,
      )
    } catch (error) {
      return Promise.reject(error)
    }
  }

  async function answerUnauthorized<TResult extends TResponse>(
    sent: RequestCredentials,
    response: TResult,
    attempt: (credentials: RequestCredentials) => Promise<TResult>,
    sendOptions?: SendOptions,
  ): Promise<TResult> {
    return (await replayAfterUnauthorized(sent, response, attempt, sendOptions)) ?? response
  }

  async function sendWithDPoP<TResult extends TResponse>(
    attempt: (credentials: RequestCredentials) => Promise<TResult>,
    sendOptions?: SendOptions,
  ): Promise<TResult> {
    const sent =
      sendOptions?.credentials ??
      (await credentialsFor(
        await refresher.getAccessToken(waitOptionsOf(sendOptions)),
        false,
        false,
        sendOptions?.request,
      ))
    // Each response may bring the server's next nonce. A nonce retry may still meet a rejected token, and a
    // replay after a refresh a new nonce: each attempt is answered in turn, within the bounds the flags set.
    const exchange = async (credentials: RequestCredentials): Promise<TResult> => {
      const response = await attempt(credentials)
      learnNonce(credentials, response)
      if (!isUnauthorized(response)) return response
      return (
        (await replayAfterUnauthorized(credentials, response, exchange, sendOptions)) ?? response
      )
    }
    return exchange(sent)
  }

  return {
    isAllowedUrl: resolved.isAllowedUrl,
    usesDPoP: dpop !== undefined,
    isUnauthorized,
    learnNonce,
    // Not an async function: a request waiting here for a refresh then holds no suspended frame.
    authorize(authorizeOptions) {
      const previous = authorizeOptions?.previous
      const request = authorizeOptions?.request
      return refresher
        .getAccessToken(waitOptionsOf(authorizeOptions))
        .then((token) =>
          credentialsFor(
            token,
            previous?.isReplay === true,
            previous?.isNonceRetry === true,
            request,
          ),
        )
    },
    authorizeNow(authorizeOptions) {
      if (dpop !== undefined) return undefined
      const token = peekFreshAccessToken(refresher)
      if (token === undefined) return undefined
      const previous = authorizeOptions?.previous
      return bearerCredentials(token, previous?.isReplay === true, previous?.isNonceRetry === true)
    },
    replayAfterUnauthorized,
    send: dpop === undefined ? sendBearer : sendWithDPoP,
  }
}

function missingDPoPHandle(): TypeError {
  return new TypeError(
    'Expected the `dpop` option of `createTokenRefresher`: the token set is of type DPoP, and each of its requests carries a proof signed with the key it is bound to',
  )
}

function isDPoP(tokenType: string | undefined): boolean {
  return tokenType !== undefined && tokenType.toLowerCase() === 'dpop'
}

function waitOptionsOf(options: RequestWaitOptions | undefined): WaitOptions | undefined {
  const signal = options?.signal
  return signal instanceof AbortSignal ? { signal } : undefined
}

// RFC 9449 §9: the resource server wants a proof carrying the nonce it sent in `DPoP-Nonce`.
function saysUseDPoPNonce(header: string | null | undefined): boolean {
  if (header === null || header === undefined) return false
  return parseWwwAuthenticate(header).some(
    (challenge) => challenge.scheme === 'dpop' && challenge.params.error === 'use_dpop_nonce',
  )
}

// RFC 6750 §3.1: the token is valid but lacks the scope; a refresh brings the same scope, so nothing would change.
function saysInsufficientScope(header: string | null | undefined): boolean {
  if (header === null || header === undefined) return false
  return parseWwwAuthenticate(header).some(
    (challenge) => challenge.params.error === 'insufficient_scope',
  )
}
