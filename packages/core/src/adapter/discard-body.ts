/**
 * Cancels the body of a response nobody will read, such as a 401 that is replayed or whose refresh failed: an
 * unread body keeps its connection busy until it is garbage-collected.
 *
 * @example
 * discardBody(response)
 * return fetch(replay)
 */
export function discardBody(response: Response): void {
  // Not awaited: a body another reader has teed may never finish cancelling.
  response.body?.cancel().catch(() => {})
}
