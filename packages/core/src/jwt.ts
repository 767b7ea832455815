/**
 * Reads the `exp` claim of a JWT access token as epoch milliseconds, without verifying the token; undefined when
 * the token is not a JWT or has no numeric `exp`. For providers that send no `expires_in`.
 *
 * @example
 * const tokens = { accessToken, expiresAt: readJwtExpiresAt(accessToken) }
 */
export function readJwtExpiresAt(accessToken: string): number | undefined {
  const parts = typeof accessToken === 'string' ? accessToken.split('.') : []
  const payload = parts[1]
  if (parts.length !== 3 || payload === undefined || payload === '') return undefined
  let claims: unknown
  try {
    claims = JSON.parse(atob(payload.replaceAll('-', '+').replaceAll('_', '/')))
  } catch {
    return undefined
  }
  const exp =
    typeof claims === 'object' && claims !== null ? (claims as { exp?: unknown }).exp : undefined
  return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : undefined
}
