/**
 * Tells whether a request body can be sent a second time: strings, `URLSearchParams`, `FormData`, `Blob`, buffers
 * and plain JSON values can; a `ReadableStream`, a Node stream or an async iterable is read once and cannot.
 *
 * @example
 * if (!isReplayableBody(init.body)) return unauthorizedResponse
 */
export function isReplayableBody(body: unknown): boolean {
  if (typeof body !== 'object' || body === null) return true
  if (typeof ReadableStream === 'function' && body instanceof ReadableStream) return false
  return (
    typeof (body as { pipe?: unknown }).pipe !== 'function' &&
    typeof (body as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] !== 'function'
  )
}
