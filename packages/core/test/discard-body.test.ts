import { createServer, type Server } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { discardBody } from '../src/adapter/discard-body.js'

// A real loopback server and Node's own fetch: whether a connection is freed is undici's behaviour, not a mock's.
interface LoopbackApi {
  url: string
  /** Every connection the server accepted, in order. */
  sockets: Socket[]
  close(): Promise<void>
}

async function serveUnauthorized(
  body: string,
  headers: Record<string, string>,
): Promise<LoopbackApi> {
  const sockets: Socket[] = []
  const server: Server = createServer((request, response) => {
    request.resume()
    response.writeHead(401, { 'content-type': 'text/plain', ...headers }).end(body)
  })
  server.on('connection', (socket) => sockets.push(socket))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/api/items`,
    sockets,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

/** A response whose body records whether it was cancelled. */
function observedResponse(headers: Record<string, string>): {
  response: Response
  cancelled: () => boolean
  reason: () => unknown
} {
  let cancelled = false
  let reason: unknown
  const body = new ReadableStream({
    cancel(cancelReason) {
      cancelled = true
      reason = cancelReason
    },
  })
  return {
    response: new Response(body, { status: 401, headers }),
    cancelled: () => cancelled,
    reason: () => reason,
  }
}

let api: LoopbackApi | undefined

afterEach(async () => {
  await api?.close()
  api = undefined
})

describe('discarding the body of a 401 nobody reads', () => {
  it('cancels a body longer than Node buffers, which closes its connection instead of holding it', async () => {
    api = await serveUnauthorized('x'.repeat(256 * 1024), {})
    const response = await fetch(api.url)
    const [socket] = api.sockets as [Socket]
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
    discardBody(response)
    await closed
    expect(socket.destroyed).toBe(true)
  })

  it('cancels a body of unknown length', async () => {
    const { response, cancelled } = observedResponse({})
    discardBody(response)
    expect(cancelled()).toBe(true)
  })

  it('cancels with a reason of its own, so that Node need not build an AbortError for each cancel', () => {
    const { response, reason } = observedResponse({})
    discardBody(response)
    expect(reason()).toBeInstanceOf(DOMException)
    expect((reason() as DOMException).name).toBe('AbortError')
  })

  it('cancels a body whose Content-Length is longer than 8 KiB', async () => {
    const { response, cancelled } = observedResponse({ 'content-length': String(8 * 1024 + 1) })
    discardBody(response)
    expect(cancelled()).toBe(true)
  })

  it('leaves a short body with a Content-Length alone, and its connection is reused all the same', async () => {
    const body = '{"error":"invalid_token"}'
    api = await serveUnauthorized(body, { 'content-length': String(body.length) })
    const first = await fetch(api.url)
    expect(first.headers.get('content-length')).toBe('25')
    const { response, cancelled } = observedResponse({ 'content-length': '25' })
    discardBody(response)
    discardBody(first)
    expect(cancelled()).toBe(false)
    // The replay goes out after a refresh, later than this: a turn lets undici finish with the first answer.
    await new Promise((resolve) => setImmediate(resolve))
    const second = await fetch(api.url)
    await second.text()
    expect(api.sockets).toHaveLength(1)
    expect(first.bodyUsed).toBe(false)
  })

  it('does nothing for a response without a body', () => {
    expect(() => discardBody(new Response(null, { status: 401 }))).not.toThrow()
  })
})
