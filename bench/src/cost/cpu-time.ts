import { type ChildProcess, fork } from 'node:child_process'
import { availableParallelism } from 'node:os'
import type { CpuSample } from './cost-worker.js'
import { workerBundle } from './worker-bundle.js'

/** CPU time and wall time per operation of one workload, over several runs. */
export interface CpuTimes {
  /** Nanoseconds of CPU time (user + system, every thread of the worker) per operation, one per run. */
  cpuNs: number[]
  wallNs: number[]
}

interface Worker {
  child: ChildProcess
  next(): Promise<CpuSample>
}

async function startWorker(bundle: string, workloadId: string, warmup: number): Promise<Worker> {
  const child = fork(bundle, [workloadId, 'cpu', String(warmup)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const messages: unknown[] = []
  let waiting: ((message: unknown) => void) | undefined
  let failure: Error | undefined
  child.on('message', (message) => {
    if (waiting === undefined) messages.push(message)
    else {
      const resolve = waiting
      waiting = undefined
      resolve(message)
    }
  })
  child.once('exit', (code) => {
    failure = new Error(`The cost worker of ${workloadId} exited with code ${code}`)
    waiting?.(failure)
  })
  const receive = () =>
    new Promise<unknown>((resolve, reject) => {
      if (failure !== undefined) reject(failure)
      else if (messages.length > 0) resolve(messages.shift())
      else waiting = (message) => (message instanceof Error ? reject(message) : resolve(message))
    })
  if ((await receive()) !== 'ready')
    throw new Error(`The cost worker of ${workloadId} did not start`)
  return { child, next: () => receive() as Promise<CpuSample> }
}

/**
 * Measures the CPU time per operation of several workloads, each in a worker process of its own (started and warmed
 * up once, one per core at a time): in each run the workloads take turns, one batch each, so that a change in the
 * machine's load meets them all alike.
 */
export async function measureCpuTimes(
  workloadIds: string[],
  options: { warmup: number; runs: number; batch: (id: string) => number },
  progress: (line: string) => void,
): Promise<Map<string, CpuTimes>> {
  const bundle = await workerBundle()
  const workers = new Map<string, Worker>()
  const times = new Map(
    workloadIds.map((id): [string, CpuTimes] => [id, { cpuNs: [], wallNs: [] }]),
  )
  try {
    // As many starts at a time as there are cores: each is CPU-bound (Node, the bundle, the warm-up), and nothing is
    // measured until every worker is ready.
    const waiting = [...workloadIds]
    const startNext = async () => {
      for (let id = waiting.shift(); id !== undefined; id = waiting.shift()) {
        progress(`cost, CPU time: warming up ${id}`)
        workers.set(id, await startWorker(bundle, id, options.warmup))
      }
    }
    const starts = await Promise.allSettled(
      Array.from({ length: Math.min(availableParallelism(), workloadIds.length) }, startNext),
    )
    for (const start of starts) if (start.status === 'rejected') throw start.reason
    for (let run = 0; run < options.runs; run++) {
      progress(`cost, CPU time: run ${run + 1} of ${options.runs}`)
      for (const id of workloadIds) {
        const worker = workers.get(id) as Worker
        const reply = worker.next()
        worker.child.send({ count: options.batch(id) })
        const sample = await reply
        times.get(id)?.cpuNs.push(sample.cpuNs / sample.count)
        times.get(id)?.wallNs.push(sample.wallNs / sample.count)
      }
    }
  } finally {
    for (const worker of workers.values()) worker.child.disconnect()
  }
  return times
}
