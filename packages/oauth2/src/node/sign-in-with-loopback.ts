import type { DPoPHandle, TokenSet } from '@tokenflight/core'
import * as oauth from 'oauth4webapi'
import { AuthorizationServerError } from '../authorization-server-error.js'
import {
  optionalDuration,
  optionalFunction,
  optionalParameters,
  optionalString,
} from '../option-checks.js'
import {
  type ClientAuthenticationMethod,
  requestTokens,
  resolveTokenEndpoint,
  type TokenEndpoint,
} from '../token-endpoint.js'
import { type CallbackRequest, startLoopbackCallbackServer } from './loopback-callback-server.js'
import { openSystemBrowser } from './open-system-browser.js'
import { SignInError } from './sign-in-error.js'

/** Options of {@link signInWithLoopback}. */
export interface SignInWithLoopbackOptions {
  /**
   * The issuer to discover both endpoints from. Give this, or `authorizationEndpoint` and `tokenEndpoint`; with all
   * three, nothing is discovered and the issuer is still checked (`iss` in the callback, ID tokens).
   */
  issuer?: string | URL
  /** The authorization endpoint URL the browser is sent to. */
  authorizationEndpoint?: string | URL
  /** The token endpoint URL the code is exchanged at. */
  tokenEndpoint?: string | URL
  /** The client identifier, registered with a loopback redirect URI such as `http://127.0.0.1/callback`. Required. */
  clientId: string
  /** The client secret, for a provider that gives native apps one. */
  clientSecret?: string
  /** Default `'client_secret_basic'` when `clientSecret` is given, otherwise `'none'`. */
  clientAuthentication?: ClientAuthenticationMethod
  /** The scope to ask for; add `offline_access` where the provider wants it for a refresh token. Default: none sent. */
  scope?: string
  /** More authorization request parameters, such as `prompt` or `audience`. Default: none. */
  authorizationParameters?: Record<string, string> | URLSearchParams
  /** The callback port on 127.0.0.1, for providers that want the exact registered URI. Default 0: any free port. */
  port?: number
  /** The callback path. Default `'/callback'`. */
  callbackPath?: string
  /** Milliseconds the whole sign-in may take, the user's part included. Default 300 000 (5 minutes). */
  timeoutMs?: number
  /**
   * Opens the authorization URL: `true` asks the desktop's default browser, `false` leaves it to the user, a
   * function does it its own way. Failing to open never fails the sign-in: the URL is always printed. Default `true`.
   */
  openBrowser?: boolean | ((url: string) => unknown)
  /** Receives the lines to show the user, the authorization URL among them. Default: written to stderr. */
  log?: (message: string) => void
  /** Cancels the sign-in; the callback server is closed and the promise rejects with `SignInError`. */
  signal?: AbortSignal
  /** The fetch used for discovery and the code exchange. Default: the global `fetch`. */
  fetch?: typeof fetch
  /** The clock that `expires_in` counts from, in epoch milliseconds. Default `Date.now`. */
  now?: () => number
  /**
   * Binds the tokens to a DPoP key (RFC 9449): the authorization request carries the key's thumbprint (`dpop_jkt`)
   * and the code exchange a proof. Give the same handle to `createTokenRefresher` as its `dpop` option. Default: none.
   */
  dpop?: DPoPHandle
}

const knownOptions = new Set<string>([
  'issuer',
  'authorizationEndpoint',
  'tokenEndpoint',
  'clientId',
  'clientSecret',
  'clientAuthentication',
  'scope',
  'authorizationParameters',
  'port',
  'callbackPath',
  'timeoutMs',
  'openBrowser',
  'log',
  'signal',
  'fetch',
  'now',
  'dpop',
])
const reservedAuthorizationParameters = new Set([
  'response_type',
  'client_id',
  'redirect_uri',
  'scope',
  'state',
  'code_challenge',
  'code_challenge_method',
  'dpop_jkt',
])
const defaultTimeoutMs = 300_000

/**
 * Signs a user in with the authorization code flow, PKCE (S256) and `state`, the way RFC 8252 wants it for native
 * apps: a one-shot callback server on 127.0.0.1, the system browser, and a short page for the browser at the end.
 *
 * @example
 * const tokens = await signInWithLoopback({ issuer, clientId: 'my-cli', scope: 'openid offline_access' })
 * await refresher.setTokens(tokens)
 */
export async function signInWithLoopback(options: SignInWithLoopbackOptions): Promise<TokenSet> {
  const settings = resolveSignInOptions(options)
  const controller = new AbortController()
  const timer = setTimeout(() => {
    controller.abort(
      new SignInError(`Sign-in did not finish within ${settings.timeoutMs} ms`, {
        reason: 'timeout',
      }),
    )
  }, settings.timeoutMs)
  const userSignal = settings.signal
  const onUserAbort = () =>
    controller.abort(
      new SignInError('Sign-in was aborted', { reason: 'aborted', cause: userSignal?.reason }),
    )
  if (userSignal?.aborted) onUserAbort()
  userSignal?.addEventListener('abort', onUserAbort, { once: true })
  try {
    return await signIn(settings, controller.signal)
  } finally {
    clearTimeout(timer)
    userSignal?.removeEventListener('abort', onUserAbort)
  }
}

interface SignInSettings {
  endpoint: TokenEndpoint
  scope: string | undefined
  authorizationParameters: Record<string, string>
  port: number
  callbackPath: string
  timeoutMs: number
  openBrowser: boolean | ((url: string) => unknown)
  log: (message: string) => void
  signal: AbortSignal | undefined
  dpop: DPoPHandle | undefined
}

function resolveSignInOptions(options: SignInWithLoopbackOptions): SignInSettings {
  const endpoint = resolveTokenEndpoint(options, {
    knownOptions,
    reservedParameters: [],
    needed: ['authorization_endpoint', 'token_endpoint'],
  })
  const { port = 0, callbackPath = '/callback', openBrowser = true, signal } = options
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new TypeError('Expected `port` to be an integer from 0 to 65535')
  }
  if (typeof callbackPath !== 'string' || !callbackPath.startsWith('/')) {
    throw new TypeError("Expected `callbackPath` to be a path starting with '/'")
  }
  if (typeof openBrowser !== 'boolean' && typeof openBrowser !== 'function') {
    throw new TypeError('Expected `openBrowser` to be a boolean or a function')
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError('Expected `signal` to be an AbortSignal')
  }
  const { dpop } = options
  if (
    dpop !== undefined &&
    (typeof dpop?.proof !== 'function' || typeof dpop.thumbprint !== 'function')
  ) {
    throw new TypeError('Expected `dpop` to be a DPoP handle from `createDPoPHandle`')
  }
  return {
    endpoint,
    scope: optionalString(options.scope, 'scope'),
    authorizationParameters: optionalParameters(
      options.authorizationParameters,
      'authorizationParameters',
      reservedAuthorizationParameters,
    ),
    port,
    callbackPath,
    timeoutMs: optionalDuration(options.timeoutMs, 'timeoutMs', defaultTimeoutMs),
    openBrowser,
    log:
      optionalFunction<(message: string) => void>(options.log, 'log') ??
      ((message) => process.stderr.write(`${message}\n`)),
    signal,
    dpop,
  }
}

async function signIn(settings: SignInSettings, signal: AbortSignal): Promise<TokenSet> {
  const { endpoint } = settings
  const server = await endpoint.server(signal)
  const callbackServer = await startLoopbackCallbackServer(settings.port, settings.callbackPath)
  try {
    const redirectUri = `http://127.0.0.1:${callbackServer.port}${settings.callbackPath}`
    const state = oauth.generateRandomState()
    const codeVerifier = oauth.generateRandomCodeVerifier()
    const authorizationUrl = new URL(server.metadata.authorization_endpoint ?? '')
    const query = authorizationUrl.searchParams
    for (const [name, value] of Object.entries(settings.authorizationParameters))
      query.set(name, value)
    query.set('response_type', 'code')
    query.set('client_id', endpoint.client.client_id)
    query.set('redirect_uri', redirectUri)
    if (settings.scope !== undefined) query.set('scope', settings.scope)
    query.set('state', state)
    query.set('code_challenge', await oauth.calculatePKCECodeChallenge(codeVerifier))
    query.set('code_challenge_method', 'S256')
    // RFC 9449 §10: the code is bound to the key, so that only a holder of the key can redeem it.
    if (settings.dpop !== undefined) query.set('dpop_jkt', await settings.dpop.thumbprint())

    presentAuthorizationUrl(settings, authorizationUrl.href)
    const callback = await callbackServer.waitForCallback(signal)
    try {
      const parameters = readCallback(
        server.metadata,
        server.issuerKnown,
        endpoint,
        callback.url,
        state,
      )
      const code = parameters.get('code') ?? ''
      const tokens = await requestTokens(
        endpoint,
        {
          send: (metadata, requestOptions) =>
            oauth.authorizationCodeGrantRequest(
              metadata,
              endpoint.client,
              endpoint.clientAuthentication,
              parameters,
              redirectUri,
              codeVerifier,
              requestOptions,
            ),
          process: (metadata, response) =>
            oauth.processAuthorizationCodeResponse(metadata, endpoint.client, response),
          secrets: [code, codeVerifier],
          // A rejected code means this sign-in failed, not that a session ended.
          invalidGrantEndsSession: false,
        },
        signal,
        settings.dpop,
      )
      await callback.respond(
        200,
        'Signed in',
        'You can close this tab and go back to the terminal.',
      )
      return tokens
    } catch (error) {
      await answerFailure(callback, error)
      throw error
    }
  } finally {
    await callbackServer.close()
  }
}

function presentAuthorizationUrl(settings: SignInSettings, url: string): void {
  const { openBrowser, log } = settings
  let opening = false
  if (openBrowser === true) {
    opening = openSystemBrowser(url)
  } else if (typeof openBrowser === 'function') {
    opening = true
    try {
      Promise.resolve(openBrowser(url)).catch(() => {})
    } catch {
      opening = false
    }
  }
  log(
    opening
      ? `Sign in with the browser that opens now; if none does, open this URL:\n  ${url}`
      : `Open this URL in a browser to sign in:\n  ${url}`,
  )
}

function readCallback(
  metadata: oauth.AuthorizationServer,
  issuerKnown: boolean,
  endpoint: TokenEndpoint,
  url: URL,
  expectedState: string,
): URLSearchParams {
  const parameters = new URLSearchParams(url.searchParams)
  // Without a known issuer, an `iss` parameter has nothing to be compared with.
  if (!issuerKnown) parameters.delete('iss')
  const state = parameters.get('state')
  if (state === null) {
    throw new SignInError('The sign-in callback carried no `state`: sign in again', {
      reason: 'invalid-callback',
    })
  }
  if (state !== expectedState) {
    throw new SignInError(
      'The sign-in callback carried a wrong `state` (from another sign-in, or a forged link): sign in again',
      { reason: 'invalid-callback' },
    )
  }
  let validated: URLSearchParams
  try {
    validated = oauth.validateAuthResponse(metadata, endpoint.client, parameters, expectedState)
  } catch (error) {
    if (error instanceof oauth.AuthorizationResponseError) {
      const description = error.error_description
      throw new SignInError(
        `The authorization server refused the sign-in: ${error.error}${description ? ` (${description})` : ''}`,
        { reason: 'authorization-error', error: error.error, errorDescription: description },
      )
    }
    // oauth4webapi's messages name the parameter at fault (an `iss` from another issuer), never a value.
    const detail = error instanceof Error ? error.message : 'it is not an authorization response'
    throw new SignInError(`The sign-in callback is not valid: ${detail}`, {
      reason: 'invalid-callback',
    })
  }
  if (!validated.get('code')) {
    throw new SignInError('The sign-in callback carried no authorization code', {
      reason: 'invalid-callback',
    })
  }
  return validated
}

async function answerFailure(callback: CallbackRequest, error: unknown): Promise<void> {
  const text =
    error instanceof SignInError || error instanceof AuthorizationServerError
      ? error.message
      : 'The code could not be exchanged for tokens.'
  await callback.respond(400, 'Sign-in failed', `${text}. You can close this tab.`)
}
