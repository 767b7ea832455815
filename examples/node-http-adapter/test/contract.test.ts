import { Readable } from 'node:stream'
import type { ReadableStream as NodeReadableStream } from 'node:stream/web'
import {
  type AdapterHarness,
  type ContractBody,
  type ContractOutcome,
  type ContractRequest,
  describeAdapterContract,
  isAbortError,
} from '@tokenflight/adapter-contract'
import { useNodeNetwork } from '@tokenflight/adapter-contract/node'
import type { HttpCall, HttpResult } from '../src/http-client.js'
import { type AuthorizedHttpCall, withTokenRefresh } from '../src/with-token-refresh.js'

// The adapter this example builds on `@tokenflight/core/adapter` alone, held to the contract the shipped ones pass.

/** The contract's bodies as `node:http` takes them: strings, bytes or a stream, with the type fetch would give. */
async function toHttpBody(
  body: ContractBody,
): Promise<{ body: NonNullable<HttpCall['body']>; contentType?: string }> {
  switch (body.kind) {
    case 'json':
      return { body: JSON.stringify(body.value) }
    case 'text':
      return { body: body.value as string }
    case 'stream':
      return { body: Readable.fromWeb(body.value as NodeReadableStream<Uint8Array>) }
    default: {
      // URLSearchParams, FormData, Blob and ArrayBuffer, encoded as fetch encodes them.
      const encoded = new Response(body.value as BodyInit)
      const contentType = encoded.headers.get('content-type') ?? undefined
      const bytes = new Uint8Array(await encoded.arrayBuffer())
      return contentType === undefined ? { body: bytes } : { body: bytes, contentType }
    }
  }
}

async function toCall(request: ContractRequest): Promise<AuthorizedHttpCall> {
  const call: AuthorizedHttpCall = { url: request.url, method: request.method ?? 'GET' }
  const headers: Record<string, string> = { ...request.headers }
  if (request.body !== undefined) {
    const { body, contentType } = await toHttpBody(request.body)
    call.body = body
    if (contentType !== undefined && !('Content-Type' in headers)) {
      headers['Content-Type'] = contentType
    }
  }
  call.headers = headers
  if (request.signal !== undefined) call.signal = request.signal
  if (request.optOut) call.tokenRefresh = false
  return call
}

function toOutcome(result: HttpResult): ContractOutcome {
  let body: unknown
  try {
    body = JSON.parse(result.body.toString('utf8'))
  } catch {
    body = undefined
  }
  return {
    status: result.status,
    body,
    httpError: false,
    wwwAuthenticate: result.headers['www-authenticate'] ?? null,
  }
}

const nodeHttpHarness: AdapterHarness = {
  name: 'node:http, the example adapter',
  httpErrors: 'resolve',
  streamBodies: 'not-replayed',
  recognizesRefreshSignal: true,
  isAbortError,
  createClient(refresher, options) {
    const send = withTokenRefresh(refresher, options)
    return { send: async (request) => toOutcome(await send(await toCall(request))) }
  },
  createRetryingClient(refresher, beforeRetry) {
    const send = withTokenRefresh(refresher)
    return {
      // A caller's own retry: a 503 is sent once more, as a new call.
      send: async (request) => {
        const first = await send(await toCall(request))
        if (first.status !== 503) return toOutcome(first)
        beforeRetry()
        return toOutcome(await send(await toCall(request)))
      },
    }
  },
}

describeAdapterContract(nodeHttpHarness, useNodeNetwork())
