// Only for an example whose src/ still imports this package, against the rule that test/example-imports.test.ts
// enforces: many-users-server (merged from main before it was converted). Delete this file with its last import.

/** A setting is missing or malformed; the message names the environment variable, never its value. */
export class SettingError extends Error {
  override name = 'SettingError' as const
}

/** Reads an environment variable; unset and empty are the same. */
export function optionalSetting(name: string): string | undefined {
  const value = process.env[name]?.trim()
  return value === undefined || value === '' ? undefined : value
}

/** Reads an environment variable the program cannot run without. */
export function requiredSetting(name: string, what: string): string {
  const value = optionalSetting(name)
  if (value === undefined) {
    throw new SettingError(`Missing setting ${name}: set it to ${what} (see README.md)`)
  }
  return value
}

/** An error's message followed by its causes' messages; never a property, which may hold a token. */
export function describeError(error: unknown): string {
  const messages: string[] = []
  for (
    let cause = error;
    cause !== undefined;
    cause = cause instanceof Error ? cause.cause : undefined
  ) {
    messages.push(cause instanceof Error ? cause.message : String(cause))
  }
  return messages.join(': ')
}

/** Prints an error as one line and sets the exit code: 2 for a setting, 1 otherwise. */
export function exitWithError(error: unknown): void {
  console.error(`Failed: ${describeError(error)}`)
  process.exitCode = error instanceof SettingError ? 2 : 1
}
