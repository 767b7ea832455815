/**
 * One workload in a process of its own, bundled by `worker-bundle.ts` and started by the cost scenarios:
 *
 * - `node cost-worker.mjs <id> instructions <warmup> <n>`, under callgrind started with `--instr-atstart=no`: runs
 *   `warmup` operations, switches instrumentation on with `callgrind_control`, then runs blocks of n, n and 2n
 *   operations with a full GC before each, calling `process.getegid()` around each GC and after the last block.
 *   Callgrind, started with `--dump-before=getegid`, writes the instructions counted since the previous call at
 *   each, so that the last five parts are block, GC, block, GC, block.
 * - `node cost-worker.mjs <id> cpu <warmup>`, forked with IPC: runs the warm-up, says `ready`, then answers each
 *   `{ count }` with the CPU time (user + system, every thread of the process) and wall time those operations took.
 */
import { execFileSync } from 'node:child_process'
import { allWorkloads, installStubTransports } from './workloads.js'

/** What the CPU worker answers for one batch of operations. */
export interface CpuSample {
  count: number
  cpuNs: number
  wallNs: number
}

const [id, mode, warmupArg, countArg] = process.argv.slice(2)
const definition = allWorkloads.find((workload) => workload.id === id)
if (definition === undefined) throw new Error(`Unknown workload ${id}`)
installStubTransports(definition)
const workload = definition.create()
const warmup = Number(warmupArg)
await workload.run(warmup)

if (mode === 'instructions') {
  const n = Number(countArg)
  // Callgrind started without instrumentation, which runs start-up and warm-up several times faster; from here on
  // it counts.
  execFileSync('callgrind_control', ['--instr=on', String(process.pid)], { stdio: 'ignore' })
  // The marker callgrind dumps its counters at: each stretch between two calls goes to a file of its own.
  const marker = () => process.getegid?.()
  // A full GC between the blocks, in a stretch of its own, so that no block pays for garbage of the one before.
  const collect = () => {
    marker()
    globalThis.gc?.()
    marker()
  }
  collect()
  await workload.run(n)
  collect()
  await workload.run(n)
  collect()
  await workload.run(2 * n)
  marker()
} else if (mode === 'cpu') {
  process.on('message', async (message: { count: number }) => {
    const cpuBefore = process.cpuUsage()
    const wallBefore = process.hrtime.bigint()
    await workload.run(message.count)
    const wallNs = Number(process.hrtime.bigint() - wallBefore)
    const cpu = process.cpuUsage(cpuBefore)
    const sample: CpuSample = {
      count: message.count,
      cpuNs: (cpu.user + cpu.system) * 1_000,
      wallNs,
    }
    process.send?.(sample)
  })
  process.on('disconnect', () => process.exit(0))
  process.send?.('ready')
} else {
  throw new Error(`Unknown mode ${mode}`)
}
