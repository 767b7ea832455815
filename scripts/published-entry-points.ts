import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

/** One subpath a published package exports, such as `@tokenflight/oauth2/node`. */
export interface EntryPoint {
  /** The specifier a user imports: the package name plus the subpath. */
  name: string
  /** The package's folder, absolute. */
  packageDirectory: string
  /** The TypeScript source the `@tokenflight/source` condition points to, absolute. */
  source: string
  /** The built declaration file the `types` condition points to, absolute. */
  declarations: string
  /** A file name for the entry point: `core`, `core-adapter`, `oauth2-node`. */
  slug: string
}

interface PackageJson {
  name: string
  private?: boolean
  exports?: Record<string, string | Record<string, string>>
}

export const rootDirectory = join(import.meta.dirname, '..')

/**
 * Every entry point of every package under `packages/` that is not private, read from its `exports`, so that a new
 * package or subpath is covered without a change here. Throws when an export lacks the source or types condition.
 */
export function publishedEntryPoints(): EntryPoint[] {
  const packagesDirectory = join(rootDirectory, 'packages')
  const entryPoints: EntryPoint[] = []
  for (const folder of readdirSync(packagesDirectory).sort()) {
    const packageDirectory = join(packagesDirectory, folder)
    let manifest: PackageJson
    try {
      manifest = JSON.parse(readFileSync(join(packageDirectory, 'package.json'), 'utf8'))
    } catch {
      continue
    }
    if (manifest.private === true) continue
    for (const [subpath, target] of Object.entries(manifest.exports ?? {})) {
      if (subpath === './package.json') continue
      const name = `${manifest.name}${subpath.slice(1)}`
      const source = typeof target === 'object' ? target['@tokenflight/source'] : undefined
      const declarations = typeof target === 'object' ? target.types : undefined
      if (source === undefined || declarations === undefined) {
        throw new Error(
          `${manifest.name}: export ${subpath} needs both a \`@tokenflight/source\` and a \`types\` condition`,
        )
      }
      entryPoints.push({
        name,
        packageDirectory,
        source: join(packageDirectory, source),
        declarations: join(packageDirectory, declarations),
        slug: name.replace(/^@[^/]+\//, '').replaceAll('/', '-'),
      })
    }
  }
  return entryPoints
}
