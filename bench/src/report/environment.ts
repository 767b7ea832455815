import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { cpus, loadavg, platform, release, totalmem } from 'node:os'

const benchDirectory = new URL('../../', import.meta.url)

/** The installed version of a bench dependency, read from its package.json. */
export function installedVersion(packageName: string): string {
  try {
    const manifest = JSON.parse(
      readFileSync(new URL(`node_modules/${packageName}/package.json`, benchDirectory), 'utf8'),
    ) as { version?: string }
    return manifest.version ?? 'unknown'
  } catch {
    return 'not installed'
  }
}

function gitCommit(): string {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: benchDirectory,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim()
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'packages', 'bench/src'], {
      cwd: new URL('../', benchDirectory),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim()
    return dirty === '' ? commit : `${commit} (with uncommitted changes in packages/ or bench/src)`
  } catch {
    return 'unknown'
  }
}

function formatLoad(load: number[]): string {
  return load.map((value) => value.toFixed(2)).join(', ')
}

/** Lines describing where and on what the bench ran; `loadAtStart` is `os.loadavg()` read before the first scenario. */
export function describeEnvironment(startedAt: Date, loadAtStart: number[]): string[] {
  const processors = cpus()
  const packages = [
    '@tokenflight/core',
    '@tokenflight/axios',
    '@tokenflight/ky',
    '@tokenflight/fetch',
    'axios',
    'ky',
    'axios-auth-refresh',
    '@badgateway/oauth2-client',
    'axios-jwt',
  ]
  return [
    `- Date: ${startedAt.toISOString()}`,
    `- Node ${process.version} on ${platform()} ${release()}`,
    `- CPU: ${processors[0]?.model.trim() ?? 'unknown'} × ${processors.length}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM`,
    `- Load average (1, 5, 15 min) when the run started: ${formatLoad(loadAtStart)}; when it ended: ${formatLoad(loadavg())}; ${processors.length} cores`,
    `- Commit: ${gitCommit()}`,
    `- Packages: ${packages.map((name) => `${name} ${installedVersion(name)}`).join(', ')}`,
  ]
}
