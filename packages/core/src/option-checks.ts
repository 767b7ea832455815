// The checks the refresher's and the adapters' options share; misuse throws a TypeError naming the option.

/** Throws for the first option that is not in `knownOptions`, such as a misspelt one. */
export function rejectUnknownOptions(options: object, knownOptions: ReadonlySet<string>): void {
  for (const name of Object.keys(options)) {
    if (!knownOptions.has(name)) throw new TypeError(`Unknown option \`${name}\``)
  }
}

/** Tells whether a value is an object with a function under each of `names`. */
export function hasMethods(value: unknown, names: readonly string[]): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    names.every((name) => typeof (value as Record<string, unknown>)[name] === 'function')
  )
}
