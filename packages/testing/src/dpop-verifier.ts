import { base64url, calculateJwkThumbprint, EmbeddedJWK, type JWK, jwtVerify } from 'jose'

/** The DPoP mode of the simulator (RFC 9449): what its token endpoint and API demand of each proof. */
export interface SimulatorDPoPOptions {
  /**
   * Proofs must carry the server's latest nonce, which every answer sends in `DPoP-Nonce`: a proof without it is
   * answered with `use_dpop_nonce` (400 from the token endpoint, 401 from the API). Default true.
   */
  nonces?: boolean
  /**
   * The API takes a new nonce at every `n`-th request it receives, before it checks that request's proof: that request
   * and the others signed with the old nonce are answered `use_dpop_nonce`, as by a resource that asks for a new
   * nonce now and then. `1` makes a server whose nonce changes with every request, which no proof can satisfy.
   * Default: only {@link DPoPControls.rotateNonce} changes it.
   */
  rotateNonceEvery?: number
  /** Milliseconds a proof's `iat` may be off the simulator's base clock (the `now` option), either way. Default 60 000. */
  iatWindowMs?: number
}

/** What the simulator learned of one accepted or rejected proof. */
export interface DPoPProofRecord {
  jti: string
  /** The nonce the proof carried, if any. */
  nonce: string | undefined
  /** The JWK SHA-256 thumbprint of the key that signed it. */
  jkt: string
}

/** The controls of the DPoP mode. */
export interface DPoPControls {
  /** Makes the API take a new nonce: proofs with the old one are answered `use_dpop_nonce`. */
  rotateNonce(): void
  /** The nonce the API demands now; undefined without nonces. */
  readonly apiNonce: string | undefined
}

export type ProofCheck =
  | { ok: true; record: DPoPProofRecord }
  | {
      ok: false
      error: 'use_dpop_nonce' | 'invalid_dpop_proof'
      description: string
      record?: DPoPProofRecord
    }

export type DPoPEndpoint = 'token' | 'api'

const algorithms = ['ES256', 'EdDSA', 'Ed25519', 'RS256', 'PS256']

/** Checks DPoP proofs as a server that issues and accepts DPoP-bound tokens does, with jose. */
export class DPoPVerifier {
  readonly #nonces: boolean
  readonly #rotateEvery: number
  readonly #iatWindowMs: number
  readonly #now: () => number
  readonly #seenJtis = new Set<string>()
  readonly #currentNonces: Record<DPoPEndpoint, string | undefined>
  #requestsSinceRotation = 0

  constructor(options: SimulatorDPoPOptions, now: () => number) {
    this.#nonces = options.nonces ?? true
    this.#rotateEvery = options.rotateNonceEvery ?? Number.POSITIVE_INFINITY
    this.#iatWindowMs = options.iatWindowMs ?? 60_000
    this.#now = now
    this.#currentNonces = {
      token: this.#nonces ? newNonce() : undefined,
      api: this.#nonces ? newNonce() : undefined,
    }
  }

  get apiNonce(): string | undefined {
    return this.#currentNonces.api
  }

  rotateNonce(): void {
    if (this.#nonces) this.#currentNonces.api = newNonce()
    this.#requestsSinceRotation = 0
  }

  /** Counts a request the API received towards its next nonce. */
  apiRequestArrived(): void {
    if (++this.#requestsSinceRotation >= this.#rotateEvery) this.rotateNonce()
  }

  /** The nonce `endpoint` demands now, which its answers carry in `DPoP-Nonce`. */
  nonceOf(endpoint: DPoPEndpoint): string | undefined {
    return this.#currentNonces[endpoint]
  }

  /**
   * Checks the one `DPoP` header of a request: a `dpop+jwt` signed by the public key it carries, for this method and
   * URL, issued within the window, with a `jti` never seen before, the current nonce, and the hash of `accessToken`
   * when the request presents one. `jkt`, when given, is the key the token is bound to.
   */
  async check(
    request: Request,
    endpoint: DPoPEndpoint,
    binding: { accessToken?: string; jkt?: string | undefined } = {},
  ): Promise<ProofCheck> {
    const proof = request.headers.get('dpop')
    if (proof === null || proof === '' || proof.includes(',')) {
      return invalid('Expected exactly one DPoP proof')
    }
    let header: { jwk?: JWK }
    let claims: Record<string, unknown>
    try {
      const verified = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms })
      header = verified.protectedHeader as { jwk?: JWK }
      claims = verified.payload as Record<string, unknown>
    } catch (error) {
      return invalid(`The DPoP proof does not verify: ${(error as Error).message}`)
    }
    const jkt = await calculateJwkThumbprint(header.jwk as JWK, 'sha256')
    const { jti, htm, htu, iat, nonce, ath } = claims
    if (typeof jti !== 'string' || jti === '') return invalid('The DPoP proof has no jti')
    const record: DPoPProofRecord = {
      jti,
      nonce: typeof nonce === 'string' ? nonce : undefined,
      jkt,
    }
    if (this.#seenJtis.has(jti)) return invalid('The DPoP proof was used before', record)
    this.#seenJtis.add(jti)
    if (htm !== request.method) return invalid('The DPoP proof is for another method', record)
    if (typeof htu !== 'string' || !sameTarget(htu, request.url)) {
      return invalid('The DPoP proof is for another URL', record)
    }
    if (typeof iat !== 'number' || Math.abs(iat * 1000 - this.#now()) > this.#iatWindowMs) {
      return invalid('The DPoP proof was not issued now', record)
    }
    if (binding.accessToken !== undefined) {
      const expected = base64url.encode(
        new Uint8Array(
          await crypto.subtle.digest('SHA-256', new TextEncoder().encode(binding.accessToken)),
        ),
      )
      if (ath !== expected) return invalid('The DPoP proof is for another access token', record)
    }
    if (binding.jkt !== undefined && binding.jkt !== jkt) {
      return invalid('The DPoP proof is signed by another key than the token is bound to', record)
    }
    const current = this.#currentNonces[endpoint]
    if (current !== undefined && record.nonce !== current) {
      return {
        ok: false,
        error: 'use_dpop_nonce',
        description: 'Authorization server requires nonce in DPoP proof',
        record,
      }
    }
    return { ok: true, record }
  }
}

function invalid(description: string, record?: DPoPProofRecord): ProofCheck {
  return record === undefined
    ? { ok: false, error: 'invalid_dpop_proof', description }
    : { ok: false, error: 'invalid_dpop_proof', description, record }
}

// RFC 9449 §4.3: the URI without query and fragment, compared after syntax-based normalization.
function sameTarget(htu: string, requestUrl: string): boolean {
  if (!URL.canParse(htu)) return false
  const claimed = new URL(htu)
  const actual = new URL(requestUrl)
  return claimed.origin === actual.origin && claimed.pathname === actual.pathname
}

function newNonce(): string {
  return base64url.encode(crypto.getRandomValues(new Uint8Array(16)))
}
