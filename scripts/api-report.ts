import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import {
  CompilerState,
  Extractor,
  ExtractorConfig,
  ExtractorLogLevel,
  type ExtractorMessage,
  type IConfigFile,
} from '@microsoft/api-extractor'
import { type EntryPoint, publishedEntryPoints, rootDirectory } from './published-entry-points.js'

// `pnpm api-report` writes api/<entry point>.api.md, API Extractor's report of the built declarations of every
// published entry point; `pnpm api-report --check` writes nothing and fails when a report differs from the code.
// Both fail on any warning of API Extractor, of the TypeScript compiler or of the TSDoc parser.

const check = process.argv.includes('--check')
const reportFolder = join(rootDirectory, 'api')

execFileSync('pnpm', ['exec', 'tsc', '--build'], { cwd: rootDirectory, stdio: 'inherit' })

const entryPoints = publishedEntryPoints()
const problems: string[] = []
const generated = new Map<EntryPoint, string>()
const tempFolder = mkdtempSync(join(tmpdir(), 'tokenflight-api-report-'))
try {
  let compilerState: CompilerState | undefined
  for (const entryPoint of entryPoints) {
    const config = extractorConfig(entryPoint, tempFolder)
    // One analysis of every entry point's declarations serves them all.
    compilerState ??= CompilerState.create(config, {
      additionalEntryPoints: entryPoints.map(({ declarations }) => declarations),
    })
    Extractor.invoke(config, {
      localBuild: true,
      compilerState,
      messageCallback: (message) => {
        message.handled = true
        const problem = describeProblem(message)
        if (problem !== undefined) problems.push(`${entryPoint.name}: ${problem}`)
      },
    })
    generated.set(entryPoint, readFileSync(join(tempFolder, `${entryPoint.slug}.api.md`), 'utf8'))
  }
} finally {
  rmSync(tempFolder, { recursive: true, force: true })
}

const stale: string[] = []
mkdirSync(reportFolder, { recursive: true })
for (const [entryPoint, text] of generated) {
  const report = withoutSiblingExports(entryPoint, text)
  const file = join(reportFolder, `${entryPoint.slug}.api.md`)
  const current = existsSync(file) ? readFileSync(file, 'utf8') : undefined
  if (current === report) continue
  stale.push(relative(rootDirectory, file))
  if (!check) writeFileSync(file, report)
}

for (const problem of problems) console.error(problem)
if (check && stale.length > 0) {
  console.error(
    `Differs from the code: ${stale.join(', ')}. Run \`pnpm api-report\` and commit the result.`,
  )
}
if (problems.length > 0 || (check && stale.length > 0)) {
  process.exitCode = 1
} else if (check) {
  console.log(`API report: the reports of ${entryPoints.length} entry points match the code`)
} else {
  console.log(
    `API report: ${entryPoints.length} entry points, ${stale.length === 0 ? 'no report changed' : `updated ${stale.join(', ')}`}`,
  )
}

function extractorConfig(entryPoint: EntryPoint, folder: string): ExtractorConfig {
  const configObject: IConfigFile = {
    projectFolder: entryPoint.packageDirectory,
    mainEntryPointFilePath: entryPoint.declarations,
    compiler: {
      // The analysis reads the built declarations: these options only need to resolve them and their imports.
      overrideTsconfig: {
        compilerOptions: {
          target: 'ES2022',
          lib: ['ES2023', 'DOM', 'DOM.Iterable'],
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          types: ['node'],
          strict: true,
          skipLibCheck: true,
        },
        files: [entryPoint.declarations],
      },
    },
    apiReport: {
      enabled: true,
      reportFileName: entryPoint.slug,
      reportFolder: folder,
      reportTempFolder: folder,
    },
    docModel: { enabled: false },
    dtsRollup: { enabled: false },
    tsdocMetadata: { enabled: false },
    newlineKind: 'lf',
    messages: {
      compilerMessageReporting: { default: { logLevel: ExtractorLogLevel.Warning } },
      extractorMessageReporting: {
        default: { logLevel: ExtractorLogLevel.Warning },
        // Every export here is public: a release tag on each would say nothing.
        'ae-missing-release-tag': { logLevel: ExtractorLogLevel.None },
        // A member without a comment is marked `(undocumented)` in the report, where review sees it.
        'ae-undocumented': { logLevel: ExtractorLogLevel.None },
        // Written into the report, above the declaration that needs the symbol, where review sees it.
        'ae-forgotten-export': { logLevel: ExtractorLogLevel.None, addToApiReportFile: true },
      },
      tsdocMessageReporting: { default: { logLevel: ExtractorLogLevel.Warning } },
    },
  }
  return ExtractorConfig.prepare({
    configObject,
    configObjectFullPath: undefined,
    packageJsonFullPath: join(entryPoint.packageDirectory, 'package.json'),
  })
}

/** What a message says is wrong, or undefined when it is no problem. */
function describeProblem(message: ExtractorMessage): string | undefined {
  if (
    message.logLevel !== ExtractorLogLevel.Warning &&
    message.logLevel !== ExtractorLogLevel.Error
  ) {
    return undefined
  }
  // Each report is written afresh into a temporary folder: that it was "created" is no news.
  if (message.messageId.startsWith('console-api-report-')) return undefined
  if (message.messageId.startsWith('tsdoc-') && inExample(message)) return undefined
  const where =
    message.sourceFilePath === undefined
      ? ''
      : `${relative(rootDirectory, message.sourceFilePath)}:${message.sourceFileLine}: `
  return `${where}${message.text} (${message.messageId})`
}

/**
 * Whether the message is about a line of an `@example` block. Those hold code, which TypeDoc shows as code while the
 * TSDoc parser reads it as prose: it asks for `{`, `}` and `>` to be escaped, and takes `<{` for an HTML tag.
 */
function inExample(message: ExtractorMessage): boolean {
  const { sourceFilePath, sourceFileLine } = message
  if (sourceFilePath === undefined || sourceFileLine === undefined) return false
  const lines = readFileSync(sourceFilePath, 'utf8').split('\n')
  for (let index = sourceFileLine - 1; index >= 0; index--) {
    const line = lines[index] ?? ''
    if (/^\s*\*\s*@example\b/.test(line)) return true
    if (/^\s*\*\s*@\w/.test(line) || line.includes('/**')) return false
  }
  return false
}

/**
 * The report as API Extractor wrote it, named after the entry point rather than the package, and without the
 * warnings about a symbol that another entry point of the same package exports: users import it from there.
 */
function withoutSiblingExports(entryPoint: EntryPoint, text: string): string {
  const siblingExports = new Set<string>()
  for (const [sibling, siblingText] of generated) {
    if (sibling === entryPoint || sibling.packageDirectory !== entryPoint.packageDirectory) continue
    for (const match of siblingText.matchAll(
      /^export (?:declare )?(?:abstract )?(?:class|function|interface|type|const|let|enum|namespace) (\w+)/gm,
    )) {
      siblingExports.add(match[1] as string)
    }
  }
  return text
    .replace(/^## API Report File for ".*"$/m, `## API Report File for "${entryPoint.name}"`)
    .replace(
      /^[ \t]*\/\/ Warning: \(ae-forgotten-export\) The symbol "(\w+)" needs to be exported by the entry point .*\n/gm,
      (line, symbol: string) => (siblingExports.has(symbol) ? '' : line),
    )
}
