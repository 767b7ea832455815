import { once } from 'node:events'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { getResponse, type HttpHandler } from 'msw'
import {
  createOAuthSimulator,
  type OAuthSimulator,
  type OAuthSimulatorOptions,
} from '../oauth-simulator.js'

/** Options of {@link serveOAuthSimulator}: the simulator's, but for its URLs, which the server decides. */
export interface ServeOAuthSimulatorOptions
  extends Omit<OAuthSimulatorOptions, 'tokenUrl' | 'apiUrl'> {
  /** The loopback address to listen on. Default `'127.0.0.1'`. */
  host?: string
  /** The port to listen on. Default 0: a free port. */
  port?: number
  /** More MSW handlers, tried after the simulator's, such as one that serves the pages of a browser test. */
  handlers?: (origin: string) => HttpHandler[]
}

/** A simulated provider and API on a real loopback port, for other processes and for browsers. */
export interface OAuthSimulatorServer {
  /** The server's origin, such as `'http://127.0.0.1:53124'`. */
  readonly origin: string
  /** Its token endpoint is `${origin}/oauth/token` and its API is below `${origin}/api`. */
  readonly simulator: OAuthSimulator
  /** Stops listening and ends every open connection. */
  close(): Promise<void>
}

/**
 * Serves a simulated OAuth provider and API over HTTP on loopback, so that child processes and browser pages can
 * use it; the counters and controls stay in the process that started it.
 *
 * @example
 * const server = await serveOAuthSimulator({ reuseDetection: true, accessTokenLifetimeMs: 200 })
 * spawn('node', ['worker.js'], { env: { TOKEN_URL: server.simulator.tokenUrl } })
 * // ...
 * expect(server.simulator.stats.reusedRefreshTokens).toBe(0)
 * await server.close()
 */
export async function serveOAuthSimulator(
  options: ServeOAuthSimulatorOptions = {},
): Promise<OAuthSimulatorServer> {
  const { host = '127.0.0.1', port = 0, handlers: extraHandlers, ...simulatorOptions } = options
  if (extraHandlers !== undefined && typeof extraHandlers !== 'function') {
    throw new TypeError('Expected `handlers` to be a function of the origin that returns handlers')
  }
  let handlers: HttpHandler[] = []
  const server = createServer((request, response) => {
    answer(handlers, request, response).catch((error: unknown) => {
      // A handler that threw is a fault in the test setup: answer 500 rather than leave the client hanging.
      if (!response.headersSent) response.writeHead(500, { 'Content-Type': 'text/plain' })
      response.end(error instanceof Error ? `${error.name}: ${error.message}` : 'Handler failed')
    })
  })
  // Keep-alive connections would hold `close()` open until their timeout.
  server.keepAliveTimeout = 1_000
  server.listen(port, host)
  await once(server, 'listening')
  const address = server.address() as AddressInfo
  const origin = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`
  const simulator = createOAuthSimulator({
    ...simulatorOptions,
    tokenUrl: `${origin}/oauth/token`,
    apiUrl: `${origin}/api`,
  })
  handlers = [...simulator.handlers, ...(extraHandlers?.(origin) ?? [])]
  return {
    origin,
    simulator,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()))
        server.closeAllConnections()
      }),
  }
}

async function answer(
  handlers: HttpHandler[],
  incoming: IncomingMessage,
  outgoing: ServerResponse,
): Promise<void> {
  const controller = new AbortController()
  // A client that gives up (a timed-out refresh, a killed process) aborts what the handler waits for.
  outgoing.on('close', () => {
    if (!outgoing.writableFinished) controller.abort()
  })
  const chunks: Buffer[] = []
  for await (const chunk of incoming) chunks.push(chunk as Buffer)
  const body =
    chunks.length === 0 || incoming.method === 'GET' || incoming.method === 'HEAD'
      ? null
      : Buffer.concat(chunks)
  const headers = new Headers()
  for (const [name, value] of Object.entries(incoming.headers)) {
    if (Array.isArray(value)) for (const item of value) headers.append(name, item)
    else if (value !== undefined) headers.set(name, value)
  }
  const request = new Request(`http://${incoming.headers.host ?? 'localhost'}${incoming.url}`, {
    method: incoming.method ?? 'GET',
    headers,
    body,
    signal: controller.signal,
  })
  const response = await getResponse(handlers, request)
  if (controller.signal.aborted) return
  if (response === undefined) {
    outgoing.writeHead(404, { 'Content-Type': 'text/plain' }).end('No handler for this request')
    return
  }
  if (response.type === 'error') {
    // MSW's network error: drop the connection, as a network failure would.
    outgoing.destroy()
    return
  }
  const responseHeaders: Record<string, string | string[]> = {}
  response.headers.forEach((value, name) => {
    const existing = responseHeaders[name]
    responseHeaders[name] = existing === undefined ? value : [existing, value].flat()
  })
  outgoing.writeHead(response.status, responseHeaders)
  outgoing.end(Buffer.from(await response.arrayBuffer()))
}
