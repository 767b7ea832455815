import type { TokenRefresher } from '@tokenflight/core'
import {
  createAuthorizationPolicy,
  isRefreshSignal,
  isReplayableBody,
  type TokenRefreshAdapterOptions,
} from '@tokenflight/core/adapter'
import { type HttpCall, type HttpResult, sendHttp } from './http-client.js'

/** A call this adapter sends: `tokenRefresh: false` sends it as it is. */
export interface AuthorizedHttpCall extends HttpCall {
  tokenRefresh?: boolean
}

/**
 * Returns `sendHttp` with token refresh: each call carries a fresh access token, and a 401 is answered with one
 * refresh and one replay.
 *
 * @example
 * const send = withTokenRefresh(refresher, { origins: ['https://api.example.com'] })
 * const { status, body } = await send({ url: 'https://api.example.com/me' })
 */
export function withTokenRefresh(
  refresher: TokenRefresher,
  options?: TokenRefreshAdapterOptions<HttpResult>,
): (call: AuthorizedHttpCall) => Promise<HttpResult> {
  const policy = createAuthorizationPolicy(refresher, options, {
    wwwAuthenticate: (result) => result.headers['www-authenticate'],
    // Node lower-cases header names; a DPoP refresher learns each server's nonce from `dpop-nonce`.
    header: (result, name) => {
      const value = result.headers[name]
      return Array.isArray(value) ? value.join(', ') : value
    },
  })
  return async ({ tokenRefresh, ...call }) => {
    if (
      tokenRefresh === false ||
      // The refresh function's own token request: waiting for a token would wait for itself.
      isRefreshSignal(call.signal) ||
      Object.keys(call.headers ?? {}).some((name) => name.toLowerCase() === 'authorization') ||
      (policy.isAllowedUrl !== undefined && !policy.isAllowedUrl(call.url))
    ) {
      return sendHttp(call)
    }
    return policy.send(
      (credentials) => sendHttp({ ...call, headers: { ...call.headers, ...credentials.headers } }),
      // A stream is read by the first attempt: its 401 goes to the caller instead of an empty replay. A DPoP proof
      // is signed for the request's method and URL.
      {
        signal: call.signal,
        replayable: isReplayableBody(call.body),
        request: { method: call.method ?? 'GET', url: call.url },
      },
    )
  }
}
