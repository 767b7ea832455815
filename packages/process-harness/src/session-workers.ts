import { type ChildProcess, fork } from 'node:child_process'
import { once } from 'node:events'
import { rmSync } from 'node:fs'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import {
  type ParentMessage,
  type TokenRequestRecord,
  type TokenResponseRecord,
  type WorkerMessage,
  type WorkerOptions,
  type WorkerReport,
  workerOptionsVariable,
} from './worker-protocol.js'

/** A running worker process. */
export interface SessionWorker {
  readonly pid: number
  readonly process: ChildProcess
  /** Resolves with the worker's report after its run; rejects if it exits without one (killed, crashed). */
  readonly report: Promise<WorkerReport>
  /** What it wrote to stderr, for failure messages. */
  stderr(): string
  /** Ends this worker's load: its callers finish their calls, and it reports. */
  stop(): void
}

/** Workers of one run, all on the same store and provider. */
export interface SessionWorkers {
  readonly workers: readonly SessionWorker[]
  /** Every token request any worker sent, in the order the parent heard of them. */
  readonly tokenRequests: readonly TokenRequestRecord[]
  /** Every answer to them, in the order the parent heard of them. */
  readonly tokenResponses: readonly TokenResponseRecord[]
  /** Calls `listener` at each token request a worker is about to send. */
  onTokenRequest(listener: (request: TokenRequestRecord) => void): void
  /** Starts the load in every worker, for `durationMs` at most. */
  start(durationMs: number): void
  /** Ends the load now: each caller finishes its call, and each worker reports. */
  stop(): void
  /** Resolves once the workers together sent `count` token requests. */
  tokenRequestsReach(count: number): Promise<void>
  /** Resolves once the workers together got `count` answers to them. */
  tokenResponsesReach(count: number): Promise<void>
  /** The reports of the workers that finished; a worker that was killed has none. */
  reports(): Promise<WorkerReport[]>
  /** Kills every worker still running. */
  kill(): void
}

const workerSource = fileURLToPath(new URL('./session-worker.ts', import.meta.url))
let workerBundle: Promise<string> | undefined

// The worker and the workspace packages it imports, from source, bundled into one file once per process: a worker
// then starts in a fraction of a second, where compiling each module with tsx took seconds for six of them.
function bundleWorker(): Promise<string> {
  workerBundle ??= (async () => {
    const directory = await mkdtemp(join(tmpdir(), 'tokenflight-worker-'))
    process.on('exit', () => rmSync(directory, { recursive: true, force: true }))
    const outfile = join(directory, 'session-worker.mjs')
    await build({
      entryPoints: [workerSource],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      conditions: ['@tokenflight/source'],
      // CommonJS dependencies (node-redis) require Node's modules, which an ES module has no `require` for.
      banner: {
        js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
      },
      logLevel: 'silent',
    })
    return outfile
  })()
  return workerBundle
}

/**
 * Forks `count` worker processes (bundled from source with esbuild) on one shared store, and
 * resolves once each has read the store and waits for `start`.
 *
 * @example
 * const run = await startSessionWorkers(6, { store: { kind: 'file', path }, grant: 'refresh-token', ... })
 * run.start(3_000)
 * const reports = await run.reports()
 */
export async function startSessionWorkers(
  count: number,
  options: WorkerOptions,
): Promise<SessionWorkers> {
  const workerFile = await bundleWorker()
  const tokenRequests: TokenRequestRecord[] = []
  const tokenResponses: TokenResponseRecord[] = []
  const listeners: ((request: TokenRequestRecord) => void)[] = []
  const waits: (() => void)[] = []
  const workers = Array.from({ length: count }, () =>
    forkWorker(workerFile, options, (message) => {
      if (message.type === 'token-response') tokenResponses.push(message.response)
      if (message.type === 'token-request') {
        tokenRequests.push(message.request)
        for (const listener of listeners) listener(message.request)
      }
      for (const wait of waits) wait()
    }),
  )
  const until = (reached: () => boolean) =>
    new Promise<void>((resolve) => {
      if (reached()) resolve()
      else waits.push(() => reached() && resolve())
    })
  const send = (message: ParentMessage) => {
    for (const worker of workers) if (worker.process.connected) worker.process.send(message)
  }
  try {
    await Promise.all(workers.map((worker) => worker.ready))
  } catch (error) {
    for (const worker of workers) worker.process.kill('SIGKILL')
    throw error
  }
  return {
    workers,
    tokenRequests,
    tokenResponses,
    onTokenRequest: (listener) => {
      listeners.push(listener)
    },
    start: (durationMs) => send({ type: 'start', until: Date.now() + durationMs }),
    stop: () => send({ type: 'stop' }),
    tokenRequestsReach: (count) => until(() => tokenRequests.length >= count),
    tokenResponsesReach: (count) => until(() => tokenResponses.length >= count),
    reports: async () => {
      const settled = await Promise.allSettled(workers.map((worker) => worker.report))
      return settled.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []))
    },
    kill: () => {
      for (const worker of workers) {
        if (worker.process.exitCode === null && worker.process.signalCode === null) {
          worker.process.kill('SIGKILL')
        }
      }
    },
  }
}

function forkWorker(
  workerFile: string,
  options: WorkerOptions,
  onTokenMessage: (message: WorkerMessage) => void,
): SessionWorker & { ready: Promise<void> } {
  const child = fork(workerFile, [], {
    execArgv: [],
    env: { ...process.env, [workerOptionsVariable]: JSON.stringify(options) },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  })
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  let report: WorkerReport | undefined
  let becameReady = () => {}
  const ready = new Promise<void>((resolve) => {
    becameReady = resolve
  })
  child.on('message', (message: WorkerMessage) => {
    if (message.type === 'ready') becameReady()
    else if (message.type === 'report') report = message.report
    else onTokenMessage(message)
  })
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>
  const failedBeforeReady = exited.then(([code, signal]) => {
    throw new Error(
      `Worker ${child.pid} exited (${signal ?? `code ${code}`}) before it was ready:\n${stderr}`,
    )
  })
  const reportPromise = exited.then(([code, signal]) => {
    if (report !== undefined) return report
    throw new Error(
      `Worker ${child.pid} exited (${signal ?? `code ${code}`}) without a report:\n${stderr}`,
    )
  })
  reportPromise.catch(() => {})
  failedBeforeReady.catch(() => {})
  return {
    pid: child.pid ?? -1,
    process: child,
    ready: Promise.race([ready, failedBeforeReady]),
    report: reportPromise,
    stderr: () => stderr,
    stop: () => {
      if (child.connected) child.send({ type: 'stop' } satisfies ParentMessage)
    },
  }
}
