// Loaded at the first proof rather than with core: an app without DPoP, or a page that maps core's modules without a
// bundler, never needs it.
let dpopLibrary: Promise<typeof import('dpop')> | undefined
function loadDPoPLibrary(): Promise<typeof import('dpop')> {
  dpopLibrary ??= import('dpop')
  return dpopLibrary
}

/** The JWS algorithms a DPoP key pair may sign with, by the `crypto.subtle.generateKey` algorithm that makes it. */
export type DPoPAlgorithm = 'ES256' | 'Ed25519' | 'RS256' | 'PS256'

/** The request a DPoP proof is signed for. */
export interface DPoPProofRequest {
  /** The HTTP method, as the request is sent (`GET`, `POST`, ...). */
  method: string
  /** The request URL; its query and fragment are left out of the proof, and a relative URL is resolved against the page. */
  url: string | URL
  /** The access token the request carries, whose hash the proof holds (`ath`); none for a token request. */
  accessToken?: string | undefined
}

/**
 * Signs DPoP proofs (RFC 9449) with one key pair, and keeps the latest nonce each server sent, by origin. One handle
 * serves the grant that obtains the tokens and every request that sends them: give it to `createTokenRefresher` as
 * its `dpop` option, and the refresher hands it to the refresh function and to the adapters.
 */
export interface DPoPHandle {
  /** The JWS algorithm of the key pair. */
  readonly algorithm: DPoPAlgorithm
  /**
   * Signs a proof for one request: its method and URL, a fresh `jti`, `iat`, the hash of `accessToken` when given,
   * and the nonce last learned from the URL's origin.
   */
  proof(request: DPoPProofRequest): Promise<string>
  /** Remembers the `DPoP-Nonce` a response from `url`'s origin carried; an empty or missing value changes nothing. */
  learnNonce(url: string | URL, nonce: string | null | undefined): void
  /** The nonce last learned from `url`'s origin, if any. */
  nonceFor(url: string | URL): string | undefined
  /** The JWK SHA-256 thumbprint of the public key (RFC 7638): `cnf.jkt` of the tokens bound to it, and `dpop_jkt`. */
  thumbprint(): Promise<string>
}

// A handle talks to a few servers; a bound keeps a long-lived one from growing with every origin it ever met.
const maxOrigins = 100
const inspectSymbol = Symbol.for('nodejs.util.inspect.custom')
// The Fetch standard upper-cases these methods whatever case they are given in, and sends any other as it is.
const normalizedMethods = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT'])

class KeyPairDPoPHandle implements DPoPHandle {
  readonly algorithm: DPoPAlgorithm
  readonly #keyPair: CryptoKeyPair
  readonly #nonces = new Map<string, string>()
  #thumbprint: Promise<string> | undefined

  constructor(keyPair: CryptoKeyPair, algorithm: DPoPAlgorithm) {
    this.#keyPair = keyPair
    this.algorithm = algorithm
  }

  proof(request: DPoPProofRequest): Promise<string> {
    try {
      const { method, url, accessToken } = request ?? {}
      if (typeof method !== 'string' || method === '') {
        throw new TypeError('Expected `method` to be a non-empty string')
      }
      if (accessToken !== undefined && (typeof accessToken !== 'string' || accessToken === '')) {
        throw new TypeError('Expected `accessToken` to be a non-empty string or undefined')
      }
      const target = parseUrl(url)
      const upper = method.toUpperCase()
      const nonce = this.#nonces.get(target.origin)
      return loadDPoPLibrary().then(({ generateProof }) =>
        generateProof(
          this.#keyPair,
          `${target.origin}${target.pathname}`,
          normalizedMethods.has(upper) ? upper : method,
          nonce,
          accessToken,
        ),
      )
    } catch (error) {
      return Promise.reject(error)
    }
  }

  learnNonce(url: string | URL, nonce: string | null | undefined): void {
    if (typeof nonce !== 'string' || nonce === '') return
    const { origin } = parseUrl(url)
    if (this.#nonces.get(origin) === nonce) return
    // Deleted first, so that the origin heard from last is the last to go.
    this.#nonces.delete(origin)
    if (this.#nonces.size >= maxOrigins) {
      const oldest = this.#nonces.keys().next().value
      if (oldest !== undefined) this.#nonces.delete(oldest)
    }
    this.#nonces.set(origin, nonce)
  }

  nonceFor(url: string | URL): string | undefined {
    return this.#nonces.get(parseUrl(url).origin)
  }

  thumbprint(): Promise<string> {
    this.#thumbprint ??= loadDPoPLibrary().then(({ calculateThumbprint }) =>
      calculateThumbprint(this.#keyPair.publicKey),
    )
    return this.#thumbprint
  }

  toJSON(): { algorithm: DPoPAlgorithm } {
    return { algorithm: this.algorithm }
  }

  [inspectSymbol](): string {
    return `DPoPHandle { algorithm: '${this.algorithm}' }`
  }
}

/**
 * Makes the DPoP handle of a key pair from `crypto.subtle.generateKey` (ECDSA P-256 for ES256, Ed25519, or RSA
 * with SHA-256 and at least 2048 bits); the private key may be, and in a browser should be, non-extractable. A key
 * pair of another kind throws a `TypeError` naming `keyPair`.
 *
 * @example
 * const keyPair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])
 * const refresher = createTokenRefresher({
 *   dpop: createDPoPHandle(keyPair),
 *   refresh: clientCredentialsGrant({ issuer, clientId, clientSecret }),
 * })
 */
export function createDPoPHandle(keyPair: CryptoKeyPair): DPoPHandle {
  return new KeyPairDPoPHandle(keyPair, checkKeyPair(keyPair))
}

const expectedKeyPair =
  'an ES256 (ECDSA P-256), Ed25519, RS256 or PS256 (RSA, SHA-256, 2048 bits or more) key pair from `crypto.subtle.generateKey`'

function checkKeyPair(keyPair: unknown): DPoPAlgorithm {
  if (typeof keyPair !== 'object' || keyPair === null) {
    throw new TypeError(`Expected \`keyPair\` to be ${expectedKeyPair}, got ${kindOf(keyPair)}`)
  }
  const { privateKey, publicKey } = keyPair as Partial<CryptoKeyPair>
  if (!isCryptoKey(privateKey) || !isCryptoKey(publicKey)) {
    const got = isCryptoKey(keyPair) ? `a single ${keyPair.type} key` : 'an object without them'
    throw new TypeError(
      `Expected \`keyPair\` to have a \`privateKey\` and a \`publicKey\` CryptoKey: ${expectedKeyPair}, got ${got}`,
    )
  }
  const algorithm = privateKey.algorithm as Partial<
    EcKeyAlgorithm & RsaHashedKeyAlgorithm & { hash: { name: string } }
  >
  const jwsAlgorithm = jwsAlgorithmOf(algorithm)
  if (jwsAlgorithm === undefined) {
    throw new TypeError(
      `Expected \`keyPair\` to be ${expectedKeyPair}, got ${describeAlgorithm(algorithm)}`,
    )
  }
  if (privateKey.type !== 'private' || publicKey.type !== 'public') {
    throw new TypeError(
      `Expected \`keyPair.privateKey\` to be a private key and \`keyPair.publicKey\` a public one, got ${privateKey.type} and ${publicKey.type}`,
    )
  }
  if (publicKey.algorithm.name !== privateKey.algorithm.name) {
    throw new TypeError(
      `Expected \`keyPair.publicKey\` to be the public key of \`keyPair.privateKey\`, got ${publicKey.algorithm.name} and ${privateKey.algorithm.name}`,
    )
  }
  if (!privateKey.usages.includes('sign')) {
    throw new TypeError("Expected `keyPair.privateKey` to have the 'sign' usage")
  }
  // Every proof carries the public key as a JWK.
  if (!publicKey.extractable) {
    throw new TypeError('Expected `keyPair.publicKey` to be extractable')
  }
  return jwsAlgorithm
}

function jwsAlgorithmOf(
  algorithm: Partial<EcKeyAlgorithm & RsaHashedKeyAlgorithm & { hash: { name: string } }>,
): DPoPAlgorithm | undefined {
  switch (algorithm.name) {
    case 'ECDSA':
      return algorithm.namedCurve === 'P-256' ? 'ES256' : undefined
    case 'Ed25519':
      return 'Ed25519'
    case 'RSASSA-PKCS1-v1_5':
    case 'RSA-PSS':
      if (algorithm.hash?.name !== 'SHA-256' || !((algorithm.modulusLength ?? 0) >= 2048)) {
        return undefined
      }
      return algorithm.name === 'RSA-PSS' ? 'PS256' : 'RS256'
    default:
      return undefined
  }
}

function describeAlgorithm(
  algorithm: Partial<EcKeyAlgorithm & RsaHashedKeyAlgorithm & { hash: { name: string } }>,
): string {
  const details = [
    algorithm.namedCurve,
    algorithm.hash?.name,
    algorithm.modulusLength === undefined ? undefined : `${algorithm.modulusLength} bits`,
  ].filter((detail) => detail !== undefined)
  return `${String(algorithm.name)}${details.length === 0 ? '' : ` (${details.join(', ')})`}`
}

function isCryptoKey(value: unknown): value is CryptoKey {
  return typeof CryptoKey === 'function' && value instanceof CryptoKey
}

function kindOf(value: unknown): string {
  return value === null ? 'null' : `a ${typeof value}`
}

function parseUrl(url: unknown): URL {
  if (url instanceof URL) return url
  if (typeof url === 'string') {
    try {
      return new URL(url, globalThis.location?.href)
    } catch {
      // Reported below, without the URL, which may carry credentials in its query.
    }
  }
  throw new TypeError('Expected `url` to be an absolute URL, or a URL relative to the page')
}
