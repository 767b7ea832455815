/** A file field of a multipart body, as the API received it. */
export interface EchoedFile {
  filename: string
  type: string
  size: number
  text: string
}

/** What the simulated API answers to an authorized request: the request as it arrived, minus its `Authorization`. */
export interface RequestEcho {
  method: string
  path: string
  /** The query string, with its `?`, or `''`. */
  search: string
  /** Lower-case header names; `authorization` is left out. */
  headers: Record<string, string>
  body: {
    size: number
    /** The body decoded as UTF-8. */
    text: string
    /** The exact bytes, base64-encoded. */
    base64: string
    /** The fields of a multipart or URL-encoded form body, in order. */
    form?: Array<[string, string | EchoedFile]>
  }
}

export async function echoRequest(
  request: Request,
  bytes: Uint8Array<ArrayBuffer>,
): Promise<RequestEcho> {
  const url = new URL(request.url)
  const headers: Record<string, string> = {}
  request.headers.forEach((value, name) => {
    if (name !== 'authorization') headers[name] = value
  })
  const text = new TextDecoder().decode(bytes)
  const body: RequestEcho['body'] = { size: bytes.byteLength, text, base64: toBase64(bytes) }
  const contentType = request.headers.get('content-type') ?? ''
  if (/^multipart\/form-data/i.test(contentType)) {
    body.form = await readMultipart(bytes, contentType)
  } else if (/^application\/x-www-form-urlencoded/i.test(contentType)) {
    body.form = [...new URLSearchParams(text)]
  }
  return { method: request.method, path: url.pathname, search: url.search, headers, body }
}

async function readMultipart(
  bytes: Uint8Array<ArrayBuffer>,
  contentType: string,
): Promise<Array<[string, string | EchoedFile]>> {
  const form = await new Response(bytes, { headers: { 'content-type': contentType } }).formData()
  const fields: Array<[string, string | EchoedFile]> = []
  for (const [name, value] of form) {
    if (typeof value === 'string') {
      fields.push([name, value])
    } else {
      fields.push([
        name,
        { filename: value.name, type: value.type, size: value.size, text: await value.text() },
      ])
    }
  }
  return fields
}

export function toBase64(bytes: Uint8Array<ArrayBuffer>): string {
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary)
}
