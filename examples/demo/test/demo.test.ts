import { join } from 'node:path'
import { type ExampleRun, runExample } from '@tokenflight/example-support/testing'
import { beforeAll, describe, expect, it } from 'vitest'

const example = join(import.meta.dirname, '..')

describe('pnpm demo', () => {
  let run: ExampleRun
  beforeAll(async () => {
    run = await runExample(example)
  }, 60_000)

  it('shows one refresh per expiry and no failure for each adapter, against the naive handler’s invalid_grants', () => {
    expect(run.exitCode, run.stdout + run.stderr).toBe(0)
    for (const client of ['axios', 'ky', 'fetch']) {
      expect(run.stdout).toMatch(new RegExp(`^${client} +tokenflight +naive refresh on 401$`, 'm'))
    }
    const rowsOf = (label: string) =>
      [...run.stdout.matchAll(new RegExp(`^  ${label} +(\\d+) +(\\d+)$`, 'gm'))].map((match) => [
        Number(match[1]),
        Number(match[2]),
      ])
    expect(rowsOf('token expiries')).toEqual([
      [6, 6],
      [6, 6],
      [6, 6],
    ])
    expect(rowsOf('refreshes').map(([tokenflight]) => tokenflight)).toEqual([6, 6, 6])
    expect(rowsOf('failed requests').map(([tokenflight]) => tokenflight)).toEqual([0, 0, 0])
    for (const [tokenflight, naive] of rowsOf('invalid_grant answers')) {
      expect(tokenflight).toBe(0)
      expect(naive).toBeGreaterThan(0)
    }
    expect(run.stdout).toContain('tokenflight: the 20 requests of a burst wait for one refresh')
  })

  it('fits an 80-column terminal', () => {
    const widest = Math.max(...run.stdout.split('\n').map((line) => line.length))
    expect(widest).toBeLessThanOrEqual(80)
  })
})
