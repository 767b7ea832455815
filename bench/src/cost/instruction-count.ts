import { execFile, spawnSync } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { workerBundle } from './worker-bundle.js'

const run = promisify(execFile)

/** Instructions one operation of a workload executes, from callgrind's blocks of n, n and 2n operations. */
export interface InstructionCount {
  /** (block of 2n − second block of n) ÷ n: what one more operation costs, start-up and warm-up cancelled. */
  perOperation: number
  /** The two blocks of n, per operation: they differ by what was not yet warm, and by noise. */
  firstBlockPerOperation: number
  secondBlockPerOperation: number
}

/**
 * V8 on the main thread only, with fixed seeds: its compiler and GC threads would otherwise run at moments that
 * differ from run to run, and callgrind would add their work to whichever block was running; with these flags a
 * workload's count repeats to a few instructions in a hundred thousand. `gc()` runs a full collection between blocks.
 */
export const countingNodeFlags = [
  '--single-threaded',
  '--random-seed=1',
  '--hash-seed=1',
  '--expose-gc',
]

let available: boolean | undefined

/** Whether `valgrind` is on the PATH. */
export function hasValgrind(): boolean {
  available ??= spawnSync('valgrind', ['--version']).status === 0
  return available
}

/**
 * Runs a workload of `cost-worker.ts` under `valgrind --tool=callgrind` and reads how many instructions one
 * operation costs. The worker runs `warmup` operations, then blocks of n, n and 2n, and calls `getegid()` after each;
 * `--dump-before=getegid` makes callgrind write the counters of each stretch to a file of its own.
 */
export async function countInstructions(
  workloadId: string,
  options: { warmup: number; n: number },
): Promise<InstructionCount> {
  const bundle = await workerBundle()
  const directory = await mkdtemp(join(tmpdir(), 'tokenflight-bench-callgrind-'))
  try {
    await run(
      'valgrind',
      [
        '--tool=callgrind',
        '--instr-atstart=no',
        '--dump-before=getegid',
        `--callgrind-out-file=${join(directory, 'callgrind.out')}`,
        process.execPath,
        ...countingNodeFlags,
        bundle,
        workloadId,
        'instructions',
        String(options.warmup),
        String(options.n),
      ],
      { maxBuffer: 16 * 1024 * 1024 },
    )
    const parts = await readParts(directory)
    // Each part holds what ran since the previous dump; the last five are block, GC, block, GC, block.
    const [first, , second, , double] = parts.slice(-5) as [number, number, number, number, number]
    if (parts.length < 6 || !(double > 1.8 * second && double < 2.2 * second)) {
      throw new Error(
        `callgrind's blocks of ${workloadId} do not scale with their size: ${[first, second, double].join(', ')} instructions`,
      )
    }
    return {
      perOperation: (double - second) / options.n,
      firstBlockPerOperation: first / options.n,
      secondBlockPerOperation: second / options.n,
    }
  } finally {
    await rm(directory, { recursive: true, force: true })
  }
}

// `callgrind.out.1`, `.2`, ...: one file per dump, in order; `callgrind.out` itself is what ran after the last.
async function readParts(directory: string): Promise<number[]> {
  const numbered = (await readdir(directory))
    .map((name) => /^callgrind\.out\.(\d+)$/.exec(name))
    .filter((match) => match !== null)
    .map((match) => ({ file: match[0], index: Number(match[1]) }))
    .sort((a, b) => a.index - b.index)
  const totals: number[] = []
  for (const { file } of numbered) {
    const text = await readFile(join(directory, file), 'utf8')
    const total = /^(?:summary|totals):\s*(\d+)/m.exec(text)
    if (total === null) throw new Error(`No instruction total in ${file}`)
    totals.push(Number(total[1]))
  }
  return totals
}

/** Runs `tasks` with at most `limit` of them at a time, keeping their order in the results. */
export async function withConcurrency<T>(
  limit: number,
  tasks: Array<() => Promise<T>>,
): Promise<T[]> {
  const results: T[] = new Array(tasks.length)
  let next = 0
  const lane = async () => {
    while (next < tasks.length) {
      const index = next++
      results[index] = await (tasks[index] as () => Promise<T>)()
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, lane))
  return results
}
