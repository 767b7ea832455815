import type { ContenderDefinition } from '../contenders/contender.js'

/** What every scenario is given. */
export interface ScenarioContext {
  /** A smoke run: fewer repetitions and iterations, same shape. */
  quick: boolean
  /** The contenders of the correctness scenarios, tokenflight's first. */
  contenders: ContenderDefinition[]
  /** Prints a progress line (to stderr, so that stdout holds the report alone). */
  progress(line: string): void
}

export function isTokenflight(definition: ContenderDefinition): boolean {
  return definition.packageName.startsWith('@tokenflight/')
}
