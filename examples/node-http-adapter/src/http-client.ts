import http, { type IncomingHttpHeaders } from 'node:http'
import https from 'node:https'
import type { Readable } from 'node:stream'

/** One request, in the words of the client: `node:http` takes strings, bytes or a stream as a body. */
export interface HttpCall {
  url: string
  /** Default `'GET'`. */
  method?: string
  headers?: Record<string, string>
  body?: string | Uint8Array | Readable
  signal?: AbortSignal
}

/** The response, read whole. */
export interface HttpResult {
  status: number
  headers: IncomingHttpHeaders
  body: Buffer
}

/** Sends one request with `node:http` or `node:https` and reads the whole response. */
export function sendHttp(call: HttpCall): Promise<HttpResult> {
  const { url, method = 'GET', headers = {}, body, signal } = call
  // Looked up at each call, so that a test's interceptor (MSW) that replaces them is used.
  const send = url.startsWith('https:') ? https.request : http.request
  return new Promise((resolve, reject) => {
    const request = send(url, { method, headers, ...(signal ? { signal } : {}) }, (response) => {
      const chunks: Buffer[] = []
      response.on('data', (chunk: Buffer) => chunks.push(chunk))
      response.on('error', reject)
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          body: Buffer.concat(chunks),
        }),
      )
    })
    request.on('error', reject)
    if (body === undefined) request.end()
    else if (typeof body === 'string' || body instanceof Uint8Array) request.end(body)
    else body.pipe(request)
  })
}
