import { defineConfig } from 'vitest/config'
import { browserProjects } from './vitest.workspace.js'

// `pnpm test:browser`: the adapter contract in headless Chromium, with MSW's service worker, and
// @tokenflight/browser in one page and in several tabs at once.
export default defineConfig({
  test: {
    projects: browserProjects,
    reporters: ['default', './scripts/summary-reporter.ts'],
    // A focused `.only` left in a test file must fail the run, locally as in CI.
    allowOnly: false,
  },
})
