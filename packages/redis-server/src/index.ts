import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { connect, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A redis-server process of this test run, on 127.0.0.1. */
export interface RedisServer {
  readonly port: number
  /** `redis://127.0.0.1:<port>` */
  readonly url: string
  /** The pid of the running process; undefined while stopped. */
  readonly pid: number | undefined
  /**
   * Stops the process. With `save`, it first writes its data to disk (`SHUTDOWN SAVE`), as a Redis with persistence
   * does when it is restarted, so that `start()` brings it back; without, it is killed and its data is gone.
   */
  stop(options?: { save?: boolean }): Promise<void>
  /** Starts it again on the same port, with the data saved by the last `stop({ save: true })`. */
  start(): Promise<void>
  /** Stops it and removes its directory. */
  close(): Promise<void>
}

/**
 * Starts `redis-server` on a free loopback port, without persistence (`--save ''`, `--appendonly no`), in a
 * directory of its own; never a system service.
 *
 * @example
 * const server = await startRedisServer()
 * const client = await createClient({ url: server.url }).connect()
 */
export async function startRedisServer(): Promise<RedisServer> {
  const port = await freePort()
  const directory = await mkdtemp(join(tmpdir(), 'tokenflight-redis-'))
  let child: ChildProcess | undefined

  async function start(): Promise<void> {
    if (child !== undefined) throw new Error('redis-server is already running')
    const started = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        directory,
        '--dbfilename',
        'dump.rdb',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    child = started
    let output = ''
    const ready = new Promise<void>((resolve, reject) => {
      started.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString()
        if (output.includes('Ready to accept connections')) resolve()
      })
      started.stderr?.on('data', (chunk: Buffer) => {
        output += chunk.toString()
      })
      started.once('error', (error) =>
        reject(
          new Error(
            `Could not start redis-server (${(error as { code?: string }).code ?? error.message}): install it, e.g. \`apt-get install redis-server\``,
          ),
        ),
      )
      started.once('exit', (code) =>
        reject(new Error(`redis-server exited with code ${code} before it was ready:\n${output}`)),
      )
    })
    try {
      await ready
    } catch (error) {
      child = undefined
      throw error
    }
    // Its output is no longer read; without this its pipe would fill up and stall it.
    started.stdout?.resume()
    started.stderr?.resume()
  }

  async function stop({ save = false } = {}): Promise<void> {
    const running = child
    if (running === undefined) return
    const exited = running.exitCode === null ? once(running, 'exit') : Promise.resolve()
    if (save) await sendCommand(port, 'SHUTDOWN SAVE')
    else running.kill('SIGKILL')
    await exited
    child = undefined
  }

  await start()
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return child?.pid
    },
    stop,
    start,
    close: async () => {
      await stop()
      await rm(directory, { recursive: true, force: true })
    },
  }
}

/** A port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

// An inline command; Redis closes the connection when SHUTDOWN goes through.
async function sendCommand(port: number, line: string): Promise<void> {
  const socket = connect(port, '127.0.0.1')
  await once(socket, 'connect')
  socket.end(`${line}\r\n`)
  socket.resume()
  await once(socket, 'close')
}
