import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

// Inside `results/`, whose `*.tmp` entries git ignores, and below `bench/`, so that Node finds the clients the
// bundle leaves out in bench's own node_modules.
const bundleFile = fileURLToPath(
  new URL('../../results/cost-worker.tmp/cost-worker.mjs', import.meta.url),
)

let bundled: Promise<string> | undefined

/**
 * Bundles `cost-worker.ts` into one JavaScript file, tokenflight's packages from their TypeScript source and the
 * clients and peers left as imports of their installed builds: under callgrind, Node starts in about 10 s, and
 * with the TypeScript loader in about 60 s. Built once per bench run.
 */
export function workerBundle(): Promise<string> {
  bundled ??= (async () => {
    const manifest = JSON.parse(
      readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
    ) as { dependencies: Record<string, string> }
    await build({
      entryPoints: [fileURLToPath(new URL('./cost-worker.ts', import.meta.url))],
      outfile: bundleFile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      conditions: ['@tokenflight/source'],
      external: Object.keys(manifest.dependencies).filter(
        (name) => !name.startsWith('@tokenflight/'),
      ),
      logLevel: 'error',
    })
    return bundleFile
  })()
  return bundled
}
