import { RefreshFailedError, SessionExpiredError } from './errors.js'
import { describeInvalidTokenSet, type TokenSet } from './token-set.js'

/** What tokens that a peer sharing the store announced through `subscribe` ask of the refresher that hears them. */
export type PeerAnnouncement =
  | { action: 'ignore' }
  | { action: 'end-session'; error: SessionExpiredError }
  | { action: 'report'; error: RefreshFailedError }
  | { action: 'adopt'; tokens: TokenSet }

const ignore: PeerAnnouncement = { action: 'ignore' }

/**
 * Reads an announcement against the tokens held here: a sign-out or session expiry elsewhere ends this session too
 * (once), new tokens are adopted without a token call, and the same tokens change nothing. An invalid set is
 * reported as a store failure and otherwise ignored.
 */
export function readPeerAnnouncement(
  announced: TokenSet | undefined,
  held: TokenSet | undefined,
  sessionExpired: boolean,
): PeerAnnouncement {
  if (announced === undefined || announced === null) {
    return held === undefined || sessionExpired
      ? ignore
      : { action: 'end-session', error: peerEndedSession() }
  }
  const problem = describeInvalidTokenSet(announced)
  if (problem !== undefined) {
    const error = new RefreshFailedError(`Store announced an invalid token set: ${problem}`)
    return { action: 'report', error }
  }
  if (isSameSession(announced, held)) return ignore
  return { action: 'adopt', tokens: Object.freeze({ ...announced }) }
}

/** What a refresher fails with when it finds that a peer sharing the store cleared the tokens. */
export function peerEndedSession(): SessionExpiredError {
  return new SessionExpiredError('Another refresher sharing the store ended the session')
}

/** Whether two token sets are the same session state: same access and refresh token. */
export function isSameSession(a: TokenSet | undefined, b: TokenSet | undefined): boolean {
  return a?.accessToken === b?.accessToken && a?.refreshToken === b?.refreshToken
}
