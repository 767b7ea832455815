import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'

/** What an example's run printed, how it exited, and how long it took. */
export interface ExampleRun {
  exitCode: number | null
  stdout: string
  stderr: string
  durationMs: number
}

// Settings a developer may have exported for a real provider; a test sets the ones it wants.
const providerSettings = /^(OAUTH2_|VENDOR_|API_URL$|TOKEN_FILE$)/

/**
 * Runs an example as its `start` script does (the script after `--import tsx` in package.json), in a child process,
 * with this process's environment minus every provider setting, plus `env`.
 *
 * @example
 * const run = await runExample(join(import.meta.dirname, '..'))
 */
export function runExample(
  directory: string,
  env: Record<string, string> = {},
): Promise<ExampleRun> {
  const manifest = JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8'))
  const [, script = 'src/main.ts'] = /--import tsx (\S+)/.exec(manifest.scripts?.start ?? '') ?? []
  return run(directory, script, env)
}

/**
 * Runs an example's `src/main.ts` alone, as a user who copied it would with their provider's settings in `env`.
 *
 * @example
 * const run = await runProgram(join(import.meta.dirname, '..'), { OAUTH2_CLIENT_ID: 'app' })
 */
export function runProgram(
  directory: string,
  env: Record<string, string> = {},
): Promise<ExampleRun> {
  return run(directory, 'src/main.ts', env)
}

async function run(
  directory: string,
  script: string,
  env: Record<string, string>,
): Promise<ExampleRun> {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !providerSettings.test(name)),
  )
  const startedAt = performance.now()
  const child = spawn(
    process.execPath,
    ['--conditions=@tokenflight/source', '--import', 'tsx', script],
    { cwd: directory, env: { ...inherited, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk
  })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk
  })
  const [exitCode] = (await once(child, 'close')) as [number | null]
  return { exitCode, stdout, stderr, durationMs: performance.now() - startedAt }
}

/** A loopback URL where nothing listens (the port was free a moment ago): an unreachable provider. */
export async function unreachableUrl(path: string): Promise<string> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return `http://127.0.0.1:${port}${path}`
}
