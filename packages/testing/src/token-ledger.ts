/** The tokens a simulated provider hands out after a sign-in or a grant, in the shape `createTokenRefresher` takes. */
export interface IssuedTokens {
  accessToken: string
  /** Absent after a client-credentials grant, and after a refresh when rotation is off. */
  refreshToken?: string
  /** Epoch milliseconds, on the simulator's clock. */
  expiresAt: number
  tokenType: string
  scope?: string
}

/** Every token issued after one sign-in or one client-credentials grant; RFC 9700 revokes them together. */
interface TokenFamily {
  revoked: boolean
  /** DPoP: the thumbprint of the key every token of the family is bound to (`cnf.jkt`). */
  jkt: string | undefined
}

interface AccessTokenRecord {
  family: TokenFamily
  expiresAt: number
  expired: boolean
}

interface RefreshTokenRecord {
  family: TokenFamily
  used: boolean
  scope: string | undefined
}

export interface LedgerSettings {
  accessTokenLifetimeMs: number
  rotateRefreshTokens: boolean
  reuseDetection: boolean
  tokenType: string
  now: () => number
}

/** Why a refresh token was refused, or the tokens it was exchanged for. */
export type RefreshOutcome =
  | { ok: true; tokens: IssuedTokens }
  | { ok: false; reused: boolean; description: string }

/** Issues, rotates, expires and revokes tokens: the provider's state, without any HTTP. */
export class TokenLedger {
  readonly #settings: LedgerSettings
  readonly #accessTokens = new Map<string, AccessTokenRecord>()
  readonly #refreshTokens = new Map<string, RefreshTokenRecord>()
  #families: TokenFamily[] = []
  #serial = 0

  constructor(settings: LedgerSettings) {
    this.#settings = settings
  }

  signIn(scope: string | undefined, jkt?: string): IssuedTokens {
    const family = this.#newFamily(jkt)
    return {
      ...this.#issueAccessToken(family, scope),
      refreshToken: this.#issueRefreshToken(family, scope),
    }
  }

  clientCredentials(scope: string | undefined, jkt?: string): IssuedTokens {
    return this.#issueAccessToken(this.#newFamily(jkt), scope)
  }

  /** DPoP: the key thumbprint an access or refresh token is bound to; undefined for an unknown or unbound one. */
  boundKeyOf(token: string): string | undefined {
    return (this.#accessTokens.get(token) ?? this.#refreshTokens.get(token))?.family.jkt
  }

  refresh(refreshToken: string): RefreshOutcome {
    const record = this.#refreshTokens.get(refreshToken)
    if (record === undefined)
      return { ok: false, reused: false, description: 'Unknown refresh token' }
    if (record.family.revoked) {
      return { ok: false, reused: false, description: 'The refresh token was revoked' }
    }
    if (record.used) {
      if (this.#settings.reuseDetection) record.family.revoked = true
      return { ok: false, reused: true, description: 'The refresh token was already used' }
    }
    const tokens = this.#issueAccessToken(record.family, record.scope)
    if (!this.#settings.rotateRefreshTokens) return { ok: true, tokens }
    record.used = true
    return {
      ok: true,
      tokens: { ...tokens, refreshToken: this.#issueRefreshToken(record.family, record.scope) },
    }
  }

  /** Whether the API accepts this access token now. */
  accepts(accessToken: string): boolean {
    const record = this.#accessTokens.get(accessToken)
    return (
      record !== undefined &&
      !record.expired &&
      !record.family.revoked &&
      this.#settings.now() < record.expiresAt
    )
  }

  expireAccessTokens(): void {
    for (const record of this.#accessTokens.values()) record.expired = true
  }

  revokeAll(): void {
    for (const family of this.#families) family.revoked = true
  }

  issued(): string[] {
    return [...this.#accessTokens.keys(), ...this.#refreshTokens.keys()]
  }

  #newFamily(jkt: string | undefined): TokenFamily {
    const family = { revoked: false, jkt }
    this.#families.push(family)
    return family
  }

  #issueAccessToken(family: TokenFamily, scope: string | undefined): IssuedTokens {
    const { accessTokenLifetimeMs, tokenType, now } = this.#settings
    const accessToken = this.#newToken('at')
    const expiresAt = now() + accessTokenLifetimeMs
    this.#accessTokens.set(accessToken, { family, expiresAt, expired: false })
    return scope === undefined
      ? { accessToken, expiresAt, tokenType }
      : { accessToken, expiresAt, tokenType, scope }
  }

  #issueRefreshToken(family: TokenFamily, scope: string | undefined): string {
    const refreshToken = this.#newToken('rt')
    this.#refreshTokens.set(refreshToken, { family, used: false, scope })
    return refreshToken
  }

  // Unique and unguessable enough that a test searching an error message for a token finds only that token.
  #newToken(prefix: string): string {
    const random = crypto.getRandomValues(new Uint8Array(6))
    const hex = Array.from(random, (byte) => byte.toString(16).padStart(2, '0')).join('')
    return `${prefix}_${++this.#serial}_${hex}`
  }
}
