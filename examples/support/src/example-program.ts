import { spawn } from 'node:child_process'
import { once } from 'node:events'

/** How one run of an example's program ended. */
export interface ProgramExit {
  exitCode: number
  durationMs: number
}

/** Options of {@link runExampleProgram}. */
export interface ExampleProgramOptions {
  /** Added to this process's environment. Default: nothing. */
  env?: Record<string, string>
  /** Called with each chunk the program writes to stderr, after it was passed on. Default: none. */
  onStderr?: (text: string) => void
}

/**
 * Runs an example's `src/main.ts` in a child process, as a user would run the copied file, with its output passed
 * through. Resolves once it exited; a signal counts as exit code 1.
 *
 * @example
 * const { exitCode } = await runExampleProgram(import.meta.dirname, { env: { API_URL: url } })
 */
export async function runExampleProgram(
  example: string,
  options: ExampleProgramOptions = {},
): Promise<ProgramExit> {
  const startedAt = performance.now()
  const child = spawn(
    process.execPath,
    ['--conditions=@tokenflight/source', '--import', 'tsx', 'src/main.ts'],
    {
      cwd: example,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'inherit', options.onStderr === undefined ? 'inherit' : 'pipe'],
    },
  )
  child.stderr?.setEncoding('utf8').on('data', (text: string) => {
    process.stderr.write(text)
    options.onStderr?.(text)
  })
  const [exitCode] = (await once(child, 'close')) as [number | null]
  return { exitCode: exitCode ?? 1, durationMs: performance.now() - startedAt }
}

/** Whether any of these environment variables is set: the example then runs against the provider they name. */
export function anySettingGiven(names: readonly string[]): boolean {
  return names.some((name) => (process.env[name] ?? '').trim() !== '')
}

/**
 * Runs the example's program alone, against the real provider the environment names, and exits as it did.
 *
 * @example
 * if (anySettingGiven(settings)) await runAgainstYourProvider(import.meta.dirname)
 */
export async function runAgainstYourProvider(example: string): Promise<void> {
  console.log('Your settings name a provider: running src/main.ts against it, without checks')
  process.exitCode = (await runExampleProgram(example)).exitCode
}

/**
 * Prints what the provider saw and, when something was not as expected, what, and sets the exit code: the
 * program's own when it failed, 1 when a check did.
 *
 * @example
 * finishRun({ programExitCode: 0, lines: ['Provider saw: 4 token requests'], problems: [] })
 */
export function finishRun(run: {
  programExitCode: number
  lines: string[]
  problems: string[]
  expectation: string
}): void {
  console.log('')
  for (const line of run.lines) console.log(line)
  const problems = [...run.problems]
  if (run.programExitCode !== 0)
    problems.unshift(`src/main.ts exited with code ${run.programExitCode}`)
  if (problems.length === 0) {
    console.log(`As expected: ${run.expectation}`)
    return
  }
  console.error(`Unexpected: ${problems.join('; ')}`)
  process.exitCode = run.programExitCode === 0 ? 1 : run.programExitCode
}
