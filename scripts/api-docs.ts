import { rmSync } from 'node:fs'
import { join, relative } from 'node:path'
import { Application, type ProjectReflection } from 'typedoc'
import { publishedEntryPoints, rootDirectory } from './published-entry-points.js'

// `pnpm run docs`: the HTML API reference of every published entry point, from the TSDoc of the TypeScript sources,
// written to docs/api/ (git-ignored). Any warning of TypeDoc (a {@link} that resolves to nothing, a comment it cannot
// parse) fails the build, and so does an export without a comment. Types that a public signature uses but no entry
// point exports are caught by `pnpm api-report`, which writes them into the report.

const out = join(rootDirectory, 'docs', 'api')
const entryPoints = publishedEntryPoints()

const app = await Application.bootstrapWithPlugins({
  name: 'tokenflight',
  entryPoints: entryPoints.map(({ source }) => source),
  tsconfig: join(rootDirectory, 'tsconfig.docs.json'),
  readme: 'none',
  // `pnpm typecheck` checks the sources; this build only reads their types and comments.
  skipErrorChecking: true,
  out,
  treatWarningsAsErrors: true,
  excludePrivate: true,
  // Source links from git need a remote to point at; a clean clone (CI) has a local path or none, which TypeDoc
  // warns about. Links relative to the repository root work wherever the reference is read beside the sources.
  disableGit: true,
  sourceLinkTemplate: '../../{path}#L{line}',
  excludeInternal: true,
  // TypeDoc checks exports and documentation only for the root package.json's name in a build of several packages,
  // so this script checks the documentation itself, and API Extractor the exports.
  validation: { notExported: false, notDocumented: false, invalidLink: true, invalidPath: true },
  sort: ['kind', 'alphabetical'],
})

const project = await app.convert()
if (project === undefined) fail('TypeDoc could not convert the sources')
nameModulesAfterEntryPoints(project)
if (app.logger.hasWarnings()) fail('warnings while converting')
const undocumented = undocumentedExports(project)
if (undocumented.length > 0) fail(`exports without a TSDoc comment: ${undocumented.join(', ')}`)
app.validate(project)
if (app.logger.hasWarnings() || app.logger.hasErrors()) fail('the TSDoc did not validate')
rmSync(out, { recursive: true, force: true })
await app.generateOutputs(project)
if (app.logger.hasWarnings() || app.logger.hasErrors()) fail('warnings while writing the HTML')
console.log(
  `API reference: ${entryPoints.length} entry points in ${relative(rootDirectory, out)}/index.html`,
)

/** Names each module as users import it (`@tokenflight/oauth2/node`) instead of by its path (`oauth2/src/node`). */
function nameModulesAfterEntryPoints(project: ProjectReflection): void {
  for (const module of project.children ?? []) {
    const file = module.sources?.[0]?.fullFileName
    const entryPoint = entryPoints.find(({ source }) => source === file)
    if (entryPoint === undefined) fail(`No entry point has the source of module ${module.name}`)
    module.name = entryPoint.name
  }
}

/** The house rule: one TSDoc sentence on every export (a function's may be on its signatures). */
function undocumentedExports(project: ProjectReflection): string[] {
  const missing: string[] = []
  for (const module of project.children ?? []) {
    for (const item of module.children ?? []) {
      const signatures = item.signatures ?? []
      const documented =
        item.hasComment() ||
        (signatures.length > 0 && signatures.every((signature) => signature.hasComment()))
      if (!documented) missing.push(`${module.name} ${item.name}`)
    }
  }
  return missing
}

function fail(reason: string): never {
  console.error(`API reference: ${reason} (warnings are errors)`)
  process.exit(1)
}
