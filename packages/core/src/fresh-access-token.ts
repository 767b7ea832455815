// A symbol of the global registry, so that an adapter built on another copy of core still finds the method.
export const freshAccessTokenKey = Symbol.for('@tokenflight/core.freshAccessToken')

/** What core's refreshers carry under {@link freshAccessTokenKey}, beside their public methods. */
export interface HasFreshAccessToken {
  /**
   * The access token when `getAccessToken()` would hand it out at once, with no refresh to start or wait for;
   * otherwise undefined. It has no effect of its own.
   */
  [freshAccessTokenKey](): string | undefined
}

/**
 * The access token a refresher would hand out at once, read without a promise: on the hot path an adapter sends
 * the request now instead of a turn of the microtask queue later. Undefined when the refresher must do anything
 * first (load, refresh, back off), or is not one of core's, and then the adapter calls `getAccessToken`.
 */
export function peekFreshAccessToken(refresher: object): string | undefined {
  return (refresher as Partial<HasFreshAccessToken>)[freshAccessTokenKey]?.()
}
