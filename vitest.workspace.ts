import { defineProject, type TestProjectConfiguration } from 'vitest/config'

// Vitest 4 no longer reads this file by itself: `vitest.config.ts` imports the
// lists below, so a bare `vitest` at the root runs every Node project.

// Workspace packages resolve to their TypeScript source through this export
// condition, so tests never need a build. In SSR (Node) the list replaces Vite's
// defaults, which is why those are repeated.
const sourceCondition = '@tokenflight/source'
const nodeConditions = [sourceCondition, 'module', 'node', 'development|production']

function nodeProject(name: string, include: string[]): TestProjectConfiguration {
  return defineProject({
    ssr: { resolve: { conditions: nodeConditions } },
    resolve: { conditions: [sourceCondition, 'module', 'development|production'] },
    test: {
      name,
      include,
      environment: 'node',
    },
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
  nodeProject('examples', ['examples/*/test/**/*.test.ts']),
]

export const browserProjects: TestProjectConfiguration[] = []
