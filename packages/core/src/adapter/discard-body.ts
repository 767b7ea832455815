// Node's fetch (undici) reads a body into its stream's buffer without a reader, up to the stream's high-water mark
// (16 KiB on Node 20), and frees the connection once the whole body is in; only a longer body waits for a reader.
// A body declared this short is left alone: cancelling it frees nothing and costs more than the rest of the 401's
// handling.
const bufferedBodyBytes = 8 * 1024

// Given as the reason of every cancel: without one, Node's fetch builds an AbortError, stack and all, for each.
const discarded = new DOMException('The response was discarded unread', 'AbortError')

/**
 * Cancels the body of a response nobody will read, such as a 401 that is replayed or whose refresh failed: an
 * unread body longer than the client buffers, or of unknown length, keeps its connection busy until it is
 * garbage-collected. A body whose `Content-Length` is at most 8 KiB is left to the client, which frees its
 * connection without a reader.
 *
 * @example
 * discardBody(response)
 * return fetch(replay)
 */
export function discardBody(response: Response): void {
  const { body } = response
  if (body === null) return
  const length = response.headers.get('content-length')
  if (length !== null && Number(length) <= bufferedBodyBytes) return
  // Not awaited: a body another reader has teed may never finish cancelling.
  body.cancel(discarded).catch(() => {})
}
