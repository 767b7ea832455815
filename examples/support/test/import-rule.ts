import { readdirSync, readFileSync, statSync } from 'node:fs'
import { isBuiltin } from 'node:module'
import { dirname, join, relative, resolve, sep } from 'node:path'
import ts from 'typescript'

/** What a copy of an example's `src` may import besides its own files and Node's builtins. */
export interface ImportRuleContext {
  /** Each published `@tokenflight/*` package, with the subpaths its `exports` list (`.`, `./node`). */
  published: ReadonlyMap<string, ReadonlySet<string>>
  /** Names of the packages that must never be a dependency of an example: the other examples, their support. */
  privatePackages: ReadonlySet<string>
}

/** Reads the published packages under `packages/` and the private ones under `examples/`. */
export function readImportRuleContext(root: string): ImportRuleContext {
  const published = new Map<string, Set<string>>()
  for (const manifest of manifests(join(root, 'packages'))) {
    if (manifest.private === true) continue
    published.set(manifest.name, new Set(Object.keys(manifest.exports ?? { '.': '' })))
  }
  const privatePackages = new Set(manifests(join(root, 'examples')).map(({ name }) => name))
  return { published, privatePackages }
}

/**
 * Says what is wrong with an example's imports, so that `src/` copied into a new project with its `dependencies`
 * installed runs: every specifier in `src/**\/*.ts` must be relative (and stay inside `src/`), a `node:` builtin, an
 * export of a published `@tokenflight/*` package, or a package the example's `dependencies` declare; and those must
 * name no example nor example support. Returns one line per problem; none when the example follows the rule.
 */
export function importProblems(example: string, context: ImportRuleContext): string[] {
  const manifest = JSON.parse(readFileSync(join(example, 'package.json'), 'utf8')) as Manifest
  const dependencies = new Set(Object.keys(manifest.dependencies ?? {}))
  const problems: string[] = []
  for (const name of dependencies) {
    if (context.privatePackages.has(name)) {
      problems.push(`package.json: \`dependencies\` has ${name}, which users cannot install`)
    } else if (name.startsWith('@tokenflight/') && !context.published.has(name)) {
      problems.push(`package.json: \`dependencies\` has ${name}, which is not published`)
    }
  }
  const source = join(example, 'src')
  for (const file of typeScriptFiles(source)) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true)
    for (const { fileName: specifier } of importedFiles) {
      const problem = specifierProblem(specifier, file, source, dependencies, context)
      if (problem !== undefined) problems.push(`${relative(example, file)}: ${problem}`)
    }
  }
  return problems
}

function specifierProblem(
  specifier: string,
  file: string,
  source: string,
  dependencies: ReadonlySet<string>,
  context: ImportRuleContext,
): string | undefined {
  if (specifier.startsWith('.')) {
    const target = resolve(dirname(file), specifier)
    return target.startsWith(source + sep) ? undefined : `'${specifier}' is outside src/`
  }
  if (specifier.startsWith('node:')) {
    return isBuiltin(specifier) ? undefined : `'${specifier}' is no Node builtin`
  }
  const segments = specifier.split('/')
  const name = specifier.startsWith('@') ? segments.slice(0, 2).join('/') : (segments[0] ?? '')
  const subpath = ['.', ...segments.slice(specifier.startsWith('@') ? 2 : 1)].join('/')
  if (name.startsWith('@tokenflight/')) {
    const subpaths = context.published.get(name)
    if (subpaths === undefined) return `'${specifier}' is not a published @tokenflight package`
    if (!subpaths.has(subpath)) return `'${specifier}': ${name} exports no '${subpath}'`
  }
  return dependencies.has(name) ? undefined : `'${specifier}': ${name} is not in \`dependencies\``
}

interface Manifest {
  name: string
  private?: boolean
  exports?: Record<string, unknown>
  dependencies?: Record<string, string>
}

function manifests(folder: string): Manifest[] {
  return readdirSync(folder).flatMap((entry) => {
    try {
      return [JSON.parse(readFileSync(join(folder, entry, 'package.json'), 'utf8')) as Manifest]
    } catch {
      return []
    }
  })
}

function typeScriptFiles(folder: string): string[] {
  return readdirSync(folder).flatMap((entry) => {
    const path = join(folder, entry)
    if (statSync(path).isDirectory()) return typeScriptFiles(path)
    return /\.[cm]?tsx?$/.test(entry) ? [path] : []
  })
}
