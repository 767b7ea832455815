import { defineConfig } from 'vitest/config'
import { nodeProjects } from './vitest.workspace.js'

export default defineConfig({
  test: {
    projects: nodeProjects,
    reporters: ['default', './scripts/summary-reporter.ts'],
    // A focused `.only` left in a test file must fail the run, locally as in CI.
    allowOnly: false,
  },
})
