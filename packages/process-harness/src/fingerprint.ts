import { createHash } from 'node:crypto'

/** The first 16 hex digits of a token's SHA-256: enough to tell tokens apart, without carrying them around. */
export function fingerprint(token: string): string {
  return createHash('sha256').update(token).digest('hex').slice(0, 16)
}
