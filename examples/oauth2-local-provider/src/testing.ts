// Helpers for the examples' smoke tests.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface ExampleRun {
  exitCode: number | null
  stdout: string
  stderr: string
}

/**
 * Runs an example's `src/main.ts` the way its `start` script does, in a child process, and collects what it printed.
 * The environment is this process's without OAUTH2_*, API_URL, TOKEN_FILE or a display, plus `env`: an example
 * runs against its local provider unless a test sets real-provider settings, and never opens a browser.
 */
export function runExample(
  directory: string,
  env: Record<string, string> = {},
): Promise<ExampleRun> {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !/^(OAUTH2_|API_URL$|TOKEN_FILE$|DISPLAY$|WAYLAND_DISPLAY$)/.test(name),
    ),
  )
  const child = spawn(
    process.execPath,
    ['--conditions=@tokenflight/source', '--import', 'tsx', 'src/main.ts'],
    { cwd: directory, env: { ...inherited, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk
  })
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk
  })
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (exitCode) => resolve({ exitCode, stdout, stderr }))
  })
}

/** A port on 127.0.0.1 that nothing listens on (it was free a moment ago): an unreachable provider. */
export async function closedPort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}
