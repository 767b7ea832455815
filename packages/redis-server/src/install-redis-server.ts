import { execFileSync, spawnSync } from 'node:child_process'

/**
 * Makes sure `redis-server` can be started: on a fresh Debian machine without it (CI, a newcomer's container), it is
 * installed from Debian's packages, as root or with passwordless sudo, so that `pnpm test` runs as the README says.
 * Elsewhere the error says what to install. A Vitest `globalSetup` of the projects whose tests start Redis.
 */
export default function installRedisServer(): void {
  if (isInstalled()) return
  const asRoot = process.getuid?.() === 0 ? [] : canSudo() ? ['sudo', '-n'] : undefined
  if (asRoot === undefined || !commandExists('apt-get')) {
    throw new Error(
      'The tests of the shared stores start a real redis-server, which is not installed: install it (`apt-get install redis-server`, `brew install redis`) and run the tests again',
    )
  }
  console.log(
    'redis-server is not installed: installing it from Debian packages for the Redis tests',
  )
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  const run = (args: string[]) => {
    const [command, ...rest] = [...asRoot, ...args]
    execFileSync(command as string, rest, { stdio: 'inherit', env })
  }
  run(['apt-get', 'update', '-qq'])
  run(['apt-get', 'install', '-y', '-qq', 'redis-server'])
  if (!isInstalled()) throw new Error('redis-server is still not on the PATH after installing it')
}

function isInstalled(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0
}

function commandExists(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0
}

function canSudo(): boolean {
  return (
    commandExists('sudo') && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0
  )
}
