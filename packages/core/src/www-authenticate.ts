/** One challenge of a `WWW-Authenticate` header (RFC 9110 §11.6.1), such as an RFC 6750 Bearer error. */
export interface AuthenticationChallenge {
  /** The authentication scheme, in lower case: `'bearer'`, `'dpop'`, `'basic'`... */
  scheme: string
  /**
   * The auth-params by lower-case name, quoted strings unescaped: for RFC 6750, `realm`, `scope`, `error` (such as
   * `'invalid_token'` or `'insufficient_scope'`), `error_description` and `error_uri`.
   */
  params: Readonly<Record<string, string>>
  /** The token68 form some schemes use instead of params (`Negotiate <base64>`). */
  token68?: string
}

// RFC 9110 §5.6.2: token characters, and the token68 form of §11.2.
const tokenPattern = /[!#$%&'*+\-.^_`|~0-9A-Za-z]+/y
const token68Pattern = /[A-Za-z0-9\-._~+/]+=*/y
const spacePattern = /[ \t]*/y

/**
 * Parses a `WWW-Authenticate` header into its challenges, several in one header included; a part that does not
 * follow the grammar ends the parse, keeping the challenges read before it. Never throws.
 *
 * @example
 * const [challenge] = parseWwwAuthenticate(response.headers.get('www-authenticate'))
 * if (challenge?.params.error === 'insufficient_scope') console.warn(`Needs scope ${challenge.params.scope}`)
 */
export function parseWwwAuthenticate(header: string | null | undefined): AuthenticationChallenge[] {
  const challenges: AuthenticationChallenge[] = []
  if (typeof header !== 'string') return challenges
  const reader = new HeaderReader(header)
  let challenge: AuthenticationChallenge | undefined
  while (reader.skipSpacesAndCommas()) {
    const name = reader.read(tokenPattern)
    if (name === undefined) break
    const afterName = reader.position
    reader.skipSpaces()
    if (reader.peek() === '=') {
      if (challenge === undefined) break
      const value = readParamValue(reader)
      if (value === undefined) break
      const key = name.toLowerCase()
      // A parameter must occur once per challenge (RFC 9110 §11.2); the first one stands.
      if (!Object.hasOwn(challenge.params, key)) {
        ;(challenge.params as Record<string, string>)[key] = value
      }
      continue
    }
    reader.position = afterName
    challenge = { scheme: name.toLowerCase(), params: Object.create(null) }
    challenges.push(challenge)
    readToken68(reader, challenge)
  }
  return challenges
}

function readParamValue(reader: HeaderReader): string | undefined {
  reader.position++
  reader.skipSpaces()
  return reader.peek() === '"' ? reader.readQuoted() : reader.read(tokenPattern)
}

// `Negotiate abc==` carries a token68; `Bearer realm="x"` starts its params, which the loop reads.
function readToken68(reader: HeaderReader, challenge: AuthenticationChallenge): void {
  const start = reader.position
  reader.skipSpaces()
  if (reader.position === start) return
  const afterSpaces = reader.position
  const candidate = reader.read(token68Pattern)
  if (candidate !== undefined) {
    reader.skipSpaces()
    const next = reader.peek()
    if (next === undefined || next === ',') {
      challenge.token68 = candidate
      return
    }
  }
  reader.position = afterSpaces
}

class HeaderReader {
  position = 0
  readonly #text: string

  constructor(text: string) {
    this.#text = text
  }

  peek(): string | undefined {
    return this.#text[this.position]
  }

  skipSpaces(): void {
    spacePattern.lastIndex = this.position
    spacePattern.test(this.#text)
    this.position = spacePattern.lastIndex
  }

  /** Skips the separators between list elements; false at the end of the header. */
  skipSpacesAndCommas(): boolean {
    for (;;) {
      this.skipSpaces()
      if (this.peek() !== ',') return this.position < this.#text.length
      this.position++
    }
  }

  read(pattern: RegExp): string | undefined {
    pattern.lastIndex = this.position
    const match = pattern.exec(this.#text)
    if (match === null) return undefined
    this.position = pattern.lastIndex
    return match[0]
  }

  /** Reads a quoted-string, undoing its backslash escapes; undefined if it is not closed. */
  readQuoted(): string | undefined {
    let value = ''
    for (let index = this.position + 1; index < this.#text.length; index++) {
      const character = this.#text[index]
      if (character === '"') {
        this.position = index + 1
        return value
      }
      if (character === '\\') index++
      value += this.#text[index] ?? ''
    }
    return undefined
  }
}
