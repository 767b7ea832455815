import { once } from 'node:events'
import { createServer, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { SignInError } from './sign-in-error.js'

/** The one request that reached the callback path, and how to answer the browser that sent it. */
export interface CallbackRequest {
  url: URL
  /** Sends a short page to the browser and resolves once it has been handed to the network. */
  respond(status: number, title: string, text: string): Promise<void>
}

export interface LoopbackCallbackServer {
  /** The port the server listens on, 127.0.0.1 only. */
  port: number
  /** Resolves with the first request to the callback path; rejects with the signal's reason once it aborts. */
  waitForCallback(signal: AbortSignal): Promise<CallbackRequest>
  /** Stops listening and drops every connection, so that no handle is left. */
  close(): Promise<void>
}

/**
 * Starts the one-shot HTTP server a loopback redirect (RFC 8252, section 7.3) lands on. Any other path is answered
 * 404, so a browser's favicon request does not count as the callback.
 */
export async function startLoopbackCallbackServer(
  port: number,
  callbackPath: string,
): Promise<LoopbackCallbackServer> {
  let deliver: ((request: CallbackRequest) => void) | undefined
  let received: CallbackRequest | undefined
  const answers = new Set<Promise<void>>()

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1')
    if (request.method !== 'GET' || url.pathname !== callbackPath || received !== undefined) {
      void answer(response, 404, 'Not found', 'This address only receives one sign-in callback.')
      return
    }
    received = {
      url,
      respond: (status, title, text) => answer(response, status, title, text),
    }
    deliver?.(received)
  })

  function answer(response: ServerResponse, status: number, title: string, text: string) {
    const sent = new Promise<void>((resolve) => {
      response.on('close', resolve)
      response.writeHead(status, {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'close',
      })
      response.end(page(title, text), () => resolve())
    })
    answers.add(sent)
    return sent
  }

  server.listen(port, '127.0.0.1')
  try {
    await Promise.race([
      once(server, 'listening'),
      once(server, 'error').then(([error]) => Promise.reject(error)),
    ])
  } catch (error) {
    server.close()
    const code = (error as { code?: unknown }).code
    throw new SignInError(
      `Could not listen on 127.0.0.1:${port} for the sign-in callback${typeof code === 'string' ? ` (${code})` : ''}`,
      { reason: 'callback-server', cause: error },
    )
  }

  return {
    port: (server.address() as AddressInfo).port,
    waitForCallback(signal) {
      if (received !== undefined) return Promise.resolve(received)
      return new Promise<CallbackRequest>((resolve, reject) => {
        const onAbort = () => reject(signal.reason)
        if (signal.aborted) return onAbort()
        signal.addEventListener('abort', onAbort, { once: true })
        deliver = (request) => {
          signal.removeEventListener('abort', onAbort)
          resolve(request)
        }
      })
    },
    async close() {
      await Promise.all(answers)
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      server.closeAllConnections()
      await closed
    },
  }
}

function page(title: string, text: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>
<body style="font-family: system-ui, sans-serif; margin: 3rem auto; max-width: 36rem">
<h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p></body></html>
`
}

function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
}
