import type { TokenRefresher, WaitOptions } from '../index.js'
import { parseWwwAuthenticate } from '../www-authenticate.js'
import { resolveAdapterOptions, type TokenRefreshAdapterOptions } from './adapter-options.js'
import { authorizationFor } from './authorization.js'
import { discardBody } from './discard-body.js'

const inspectSymbol = Symbol.for('nodejs.util.inspect.custom')

/**
 * The credentials one request is sent with. The policy hands them out and reads them back when that request meets
 * a 401, so that the refresh is asked about the very token the request carried.
 */
export class RequestCredentials {
  /** The headers to set on the request, by lower-case name: `authorization`, `<tokenType> <accessToken>`. */
  readonly headers: Readonly<Record<string, string>>
  /** These are the credentials of the one replay after a 401: a 401 they meet goes to the caller. */
  readonly isReplay: boolean
  readonly #accessToken: string

  /** @internal Made by an {@link AuthorizationPolicy} only. */
  constructor(authorization: string, accessToken: string, isReplay: boolean) {
    this.headers = { authorization }
    this.#accessToken = accessToken
    this.isReplay = isReplay
  }

  /** The access token these credentials carry. */
  get accessToken(): string {
    return this.#accessToken
  }

  /** Serializes without the headers, which carry the token: the credentials may sit on a logged request config. */
  toJSON(): { isReplay: boolean } {
    return { isReplay: this.isReplay }
  }

  [inspectSymbol](): string {
    return `RequestCredentials { isReplay: ${this.isReplay} }`
  }
}

/** What the policy reads of an HTTP client's response, beyond its `status`. */
export interface ResponseAccess<TResponse> {
  /** The response's `WWW-Authenticate` header, if any. */
  wwwAuthenticate(response: TResponse): string | null | undefined
  /** Frees a response nobody will read, such as an unread fetch body that holds its connection. */
  discard?(response: TResponse): void
}

/** {@link ResponseAccess} for fetch `Response`s, which ky and fetch wrappers get. */
export const fetchResponseAccess: ResponseAccess<Response> = {
  wwwAuthenticate: (response) => response.headers.get('www-authenticate'),
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
  /** Credentials the first attempt already carries, set by the client's own hook; default: the policy authorizes it. */
  credentials?: RequestCredentials | undefined
}

/**
 * The one replay policy every tokenflight adapter follows (DESIGN.md behaviours 11 to 15, and 22's 401 and 403):
 * authorize a request with the current token, remember the token it was sent with, answer one 401 with
 * `refreshAfterUnauthorized` and one replay, discard the 401 it replaces, and hand the 401 of a body that cannot
 * be sent again to the caller. A 401 whose challenge says `insufficient_scope`, and any 403, refresh nothing.
 */
export interface AuthorizationPolicy<TResponse> {
  /** Tests a request URL against the `origins` option; undefined when every origin is allowed. */
  readonly isAllowedUrl: ((url: string) => boolean) | undefined
  /** Whether a response says the access token was rejected: the `isUnauthorized` option, or the default. */
  isUnauthorized(response: TResponse): boolean
  /** Waits for the access token (at once while it is fresh) and returns the credentials to send a request with. */
  authorize(options?: AuthorizeOptions): Promise<RequestCredentials>
  /**
   * Answers a response that {@link AuthorizationPolicy.isUnauthorized} flagged, for a request sent with `sent`: refreshes (unless another
   * request did already) and calls `replay` with new credentials, once. Resolves undefined when the response goes
   * to the caller as it is: the request was a replay already, or its body cannot be sent again. A failed refresh
   * rejects with core's typed error.
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
  const isUnauthorized =
    resolved.isUnauthorized ??
    ((response: TResponse) =>
      response.status === 401 && !saysInsufficientScope(access.wwwAuthenticate(response)))

  // Every request sent while one token is fresh gets the same credentials, made once for that token set: the hot
  // path then builds no header string and allocates nothing here. Adapters only read credentials.
  let cached: { tokens: unknown; credentials: RequestCredentials } | undefined

  function credentialsFor(accessToken: string, isReplay: boolean): RequestCredentials {
    if (isReplay) return createCredentials(accessToken, true)
    const tokens = refresher.getTokens()
    const last = cached
    if (
      last !== undefined &&
      last.tokens === tokens &&
      last.credentials.accessToken === accessToken
    ) {
      return last.credentials
    }
    const credentials = createCredentials(accessToken, false)
    // Credentials for a token the refresher no longer holds (a stale 401's) are not kept.
    cached = tokens?.accessToken === accessToken ? { tokens, credentials } : undefined
    return credentials
  }

  const freshCredentialsFor = (accessToken: string) => credentialsFor(accessToken, false)
  const replayCredentialsFor = (accessToken: string) => credentialsFor(accessToken, true)

  function createCredentials(accessToken: string, isReplay: boolean): RequestCredentials {
    return new RequestCredentials(authorizationFor(refresher, accessToken), accessToken, isReplay)
  }

  async function replayAfterUnauthorized<TResult>(
    sent: RequestCredentials,
    response: TResponse,
    replay: (credentials: RequestCredentials) => Promise<TResult>,
    replayOptions?: ReplayOptions,
  ): Promise<TResult | undefined> {
    if (sent.isReplay) return undefined
    let token: string
    try {
      token = await refresher.refreshAfterUnauthorized(
        sent.accessToken,
        waitOptionsOf(replayOptions),
      )
    } catch (error) {
      discard?.(response)
      throw error
    }
    // A one-shot stream was used up by the first attempt. Rather than replay it empty, hand the 401 to the
    // caller: the token is fresh now, so the caller's next request, with a new stream, goes through.
    if (replayOptions?.replayable === false) return undefined
    discard?.(response)
    return replay(credentialsFor(token, true))
  }

  return {
    isAllowedUrl: resolved.isAllowedUrl,
    isUnauthorized,
    // Not an async function: a request waiting here for a refresh then holds no suspended frame.
    authorize(authorizeOptions) {
      const token = refresher.getAccessToken(waitOptionsOf(authorizeOptions))
      return token.then(
        authorizeOptions?.previous?.isReplay === true ? replayCredentialsFor : freshCredentialsFor,
      )
    },
    replayAfterUnauthorized,
    async send(attempt, sendOptions) {
      const sent =
        sendOptions?.credentials ??
        credentialsFor(await refresher.getAccessToken(waitOptionsOf(sendOptions)), false)
      const response = await attempt(sent)
      if (!isUnauthorized(response)) return response
      return (await replayAfterUnauthorized(sent, response, attempt, sendOptions)) ?? response
    },
  }
}

function waitOptionsOf(options: RequestWaitOptions | undefined): WaitOptions | undefined {
  const signal = options?.signal
  return signal instanceof AbortSignal ? { signal } : undefined
}

// RFC 6750 §3.1: the token is valid but lacks the scope; a refresh brings the same scope, so nothing would change.
function saysInsufficientScope(header: string | null | undefined): boolean {
  if (header === null || header === undefined) return false
  return parseWwwAuthenticate(header).some(
    (challenge) => challenge.params.error === 'insufficient_scope',
  )
}
