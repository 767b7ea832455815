import { playwright } from '@vitest/browser-playwright'
import { configDefaults, defineProject, type TestProjectConfiguration } from 'vitest/config'

// Vitest 4 no longer reads this file by itself: `vitest.config.ts` imports the
// lists below, so a bare `vitest` at the root runs every Node project.

// Workspace packages resolve to their TypeScript source through this export
// condition, so tests never need a build. In SSR (Node) the list replaces Vite's
// defaults, which is why those are repeated.
const sourceCondition = '@tokenflight/source'
const nodeConditions = [sourceCondition, 'module', 'node', 'development|production']
// Files that run in Chromium only, through `browserProjects`.
const browserTests = '**/*.browser.test.ts'
// Files that run on Node and drive several Chromium tabs with Playwright, also through `browserProjects`.
const tabsTests = '**/*.tabs.test.ts'

// Projects whose tests start a real redis-server install it first where it is missing (Debian, as root or sudo).
const withRedisServer = { globalSetup: ['packages/redis-server/src/install-redis-server.ts'] }

function nodeProject(
  name: string,
  include: string[],
  options: { globalSetup?: string[] } = {},
): TestProjectConfiguration {
  return defineProject({
    ssr: { resolve: { conditions: nodeConditions } },
    resolve: { conditions: [sourceCondition, 'module', 'development|production'] },
    test: {
      name,
      include,
      exclude: [...configDefaults.exclude, browserTests, tabsTests],
      environment: 'node',
      // Vitest's 5 s default is too tight for a hundred requests on a loaded two-core machine: a slow run must not
      // fail a test whose outcome is right. A test that waits on a real process sets its own, longer timeout.
      testTimeout: 20_000,
      ...options,
    },
  })
}

// Type tests (`expectTypeOf` in `*.test-d.ts`) are checked by the compiler, not run: one project runs `tsc` once
// over all of them, with the settings `pnpm typecheck` uses, and reports each `it` as a test.
function typeProject(name: string, include: string[]): TestProjectConfiguration {
  return defineProject({
    test: {
      name,
      typecheck: { enabled: true, only: true, include, tsconfig: 'tsconfig.check.json' },
    },
  })
}

// Where `pnpm test:browser` puts MSW's service worker script (`msw init`), git-ignored.
export const browserPublicDir = 'packages/adapter-contract/browser-public'

// Debian's Chromium, as root in a closed network: without these flags it refuses to start or keeps
// trying to reach Google's hosts.
export const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
]

function browserProject(name: string, include: string[]): TestProjectConfiguration {
  return defineProject({
    publicDir: browserPublicDir,
    resolve: { conditions: [sourceCondition, 'browser', 'module', 'development|production'] },
    test: {
      name,
      include,
      browser: {
        enabled: true,
        headless: true,
        provider: playwright({
          launchOptions: { executablePath: '/usr/bin/chromium', args: chromiumArgs },
        }),
        instances: [{ browser: 'chromium' }],
      },
    },
  })
}

// Node tests that launch Chromium themselves (Playwright), for what one page cannot show: several tabs at once.
function tabsProject(name: string, include: string[]): TestProjectConfiguration {
  return defineProject({
    ssr: { resolve: { conditions: nodeConditions } },
    resolve: { conditions: [sourceCondition, 'module', 'development|production'] },
    test: { name, include, environment: 'node', testTimeout: 30_000, hookTimeout: 30_000 },
  })
}

export const nodeProjects: TestProjectConfiguration[] = [
  nodeProject('core', ['packages/core/test/**/*.test.ts']),
  nodeProject('testing', ['packages/testing/test/**/*.test.ts']),
  nodeProject('axios', ['packages/axios/test/**/*.test.ts']),
  nodeProject('ky', ['packages/ky/test/**/*.test.ts']),
  nodeProject('fetch', ['packages/fetch/test/**/*.test.ts']),
  nodeProject('adapter-contract', ['packages/adapter-contract/test/**/*.test.ts']),
  nodeProject('oauth2', ['packages/oauth2/test/**/*.test.ts']),
  nodeProject('redis', ['packages/redis/test/**/*.test.ts'], withRedisServer),
  nodeProject('process-harness', ['packages/process-harness/test/**/*.test.ts'], withRedisServer),
  nodeProject('examples', ['examples/*/test/**/*.test.ts'], withRedisServer),
  nodeProject('soak', ['packages/soak/test/**/*.test.ts']),
  typeProject('types', ['packages/*/test/**/*.test-d.ts']),
]

export const browserProjects: TestProjectConfiguration[] = [
  browserProject('fetch-chromium', [`packages/fetch/test/${browserTests}`]),
  browserProject('ky-chromium', [`packages/ky/test/${browserTests}`]),
  browserProject('axios-chromium', [`packages/axios/test/${browserTests}`]),
  browserProject('browser-chromium', [`packages/browser/test/${browserTests}`]),
  tabsProject('browser-tabs', [
    `packages/browser/test/${tabsTests}`,
    `examples/*/test/${tabsTests}`,
  ]),
]
