import { type LocalProvider, startLocalProvider } from './local-provider.js'

// What the oauth2-* example programs share: choosing between the local provider and a real one, reading the real
// one's settings, and explaining a failure in one line.

/**
 * Starts the local provider, with tokens that live 2 s, unless an OAUTH2_* variable says to use a real provider;
 * then resolves undefined.
 */
export async function localProviderUnlessConfigured(): Promise<LocalProvider | undefined> {
  const real = Object.keys(process.env).some((name) => name.startsWith('OAUTH2_'))
  return real ? undefined : startLocalProvider({ accessTokenTtlMs: 2_000 })
}

/** Reads a setting the real provider needs, or stops the program (exit code 2) with a message naming it. */
export function requiredSetting(name: string, what: string): string {
  const value = process.env[name]
  if (value !== undefined && value !== '') return value
  console.error(`Missing setting ${name}: set it to ${what}. See README.md.`)
  process.exit(2)
}

/** The error's message, followed by its cause's: a refresher's errors say what failed, their cause why. */
export function explain(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  const cause = error.cause instanceof Error ? ` (${error.cause.message})` : ''
  return `${error.message}${cause}`
}
