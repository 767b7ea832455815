import type { RequestEcho } from '@tokenflight/testing'
import type { BodyKind, ContractBody } from './adapter-harness.js'

const bytes = [0, 1, 2, 127, 128, 253, 254, 255]
const bytesBase64 = 'AAECf4D9/v8='
const streamChunks = ['first chunk, ', 'second chunk, ', 'last chunk']

/** A fresh body of each kind; fresh, because a stream or a form can be used up by a test. */
export function createBody(kind: BodyKind): ContractBody {
  switch (kind) {
    case 'json':
      return { kind, value: { name: 'Ada', tags: ['x', 'ÿ'], nested: { n: 1 } } }
    case 'text':
      return { kind, value: 'plain text, with ünïcode' }
    case 'url-search-params':
      return {
        kind,
        value: new URLSearchParams([
          ['a', '1'],
          ['b', 'two words'],
          ['a', '3'],
        ]),
      }
    case 'form-data': {
      const form = new FormData()
      form.append('title', 'report')
      form.append('file', new Blob(['col1,col2\n1,2\n'], { type: 'text/csv' }), 'report.csv')
      return { kind, value: form }
    }
    case 'blob':
      return {
        kind,
        value: new Blob([new Uint8Array(bytes)], { type: 'application/octet-stream' }),
      }
    case 'array-buffer':
      return { kind, value: new Uint8Array(bytes).buffer }
    case 'stream':
      return {
        kind,
        value: new ReadableStream<Uint8Array>({
          start(controller) {
            for (const chunk of streamChunks) controller.enqueue(new TextEncoder().encode(chunk))
            controller.close()
          },
        }),
      }
  }
}

/** The part of the API's echo that shows the body of each kind arrived intact. */
export function expectedEcho(kind: BodyKind): Partial<RequestEcho['body']> {
  switch (kind) {
    case 'json':
      return { text: JSON.stringify(createBody('json').value) }
    case 'text':
      return { text: 'plain text, with ünïcode' }
    case 'url-search-params':
      return {
        form: [
          ['a', '1'],
          ['b', 'two words'],
          ['a', '3'],
        ],
      }
    case 'form-data':
      return {
        form: [
          ['title', 'report'],
          [
            'file',
            { filename: 'report.csv', type: 'text/csv', size: 14, text: 'col1,col2\n1,2\n' },
          ],
        ],
      }
    case 'blob':
    case 'array-buffer':
      return { base64: bytesBase64, size: bytes.length }
    case 'stream':
      return { text: streamChunks.join('') }
  }
}

/** The content type the contract sends a body of this kind with, when the client does not choose one. */
export function contentTypeFor(kind: BodyKind): Record<string, string> {
  switch (kind) {
    case 'json':
      return { 'Content-Type': 'application/json' }
    case 'text':
    case 'stream':
      return { 'Content-Type': 'text/plain;charset=UTF-8' }
    case 'blob':
    case 'array-buffer':
      return { 'Content-Type': 'application/octet-stream' }
    default:
      return {}
  }
}
