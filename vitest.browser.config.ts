import { defineConfig } from 'vitest/config'
import { browserProjects } from './vitest.workspace.js'

// `pnpm test:browser`: the adapter contract in headless Chromium, with MSW's service worker.
export default defineConfig({
  test: {
    projects: browserProjects,
    reporters: ['default', './scripts/summary-reporter.ts'],
    // A focused `.only` left in a test file must fail the run, locally as in CI.
    allowOnly: false,
  },
})
