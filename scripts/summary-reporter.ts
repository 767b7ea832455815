import { appendFileSync } from 'node:fs'
import type { Reporter, TestModule } from 'vitest/node'

/**
 * Prints one `N passed, N failed` line at the end of a run, the line CI reads.
 * In CI (\`CI\` set) a skipped or todo test counts as failed: a case we do not run proves nothing.
 *
 * When `TOKENFLIGHT_SUMMARY_FILE` is set (by `.ci/run`, which runs several suites), the counts
 * are appended to that file instead, and `.ci/run` prints the one total line.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(
    testModules: ReadonlyArray<TestModule>,
    unhandledErrors: ReadonlyArray<unknown>,
  ): void {
    let passed = 0
    let failed = 0
    let skipped = 0
    const failedNames: string[] = []
    for (const testModule of testModules) {
      for (const test of testModule.children.allTests()) {
        const { state } = test.result()
        if (state === 'passed') passed++
        else if (state === 'failed') {
          failed++
          failedNames.push(`${testModule.moduleId} > ${test.fullName}`)
        } else skipped++
      }
      // A file that fails to load has no tests to count, and must not pass.
      if (testModule.state() === 'failed' && testModule.children.size === 0) {
        failed++
        failedNames.push(`${testModule.moduleId} (failed to load)`)
      }
    }
    failed += unhandledErrors.length
    // In CI, where nothing is filtered, a skipped test is a defect; locally `-t` filters skip tests too.
    if (skipped > 0 && process.env.CI) {
      failed += skipped
      process.stdout.write(`${skipped} skipped or todo tests counted as failed\n`)
    } else if (skipped > 0) {
      process.stdout.write(`${skipped} tests skipped or filtered out (counted as failed in CI)\n`)
    }
    // Named again at the end, where a long log's last lines are all a reader may get.
    for (const name of failedNames) process.stdout.write(`failed: ${name}\n`)
    const summaryFile = process.env.TOKENFLIGHT_SUMMARY_FILE
    if (summaryFile) {
      appendFileSync(summaryFile, `${JSON.stringify({ passed, failed, failedNames })}\n`)
      process.stdout.write(`suite result: passed=${passed} failed=${failed}\n`)
    } else {
      process.stdout.write(`${passed} passed, ${failed} failed\n`)
    }
    if (failed > 0) process.exitCode = 1
  }
}
