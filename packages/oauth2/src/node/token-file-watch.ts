import { type FSWatcher, watch } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { basename, dirname } from 'node:path'

/**
 * Reports each content of a file that differs from the caller's `known` one (`undefined`: the file is gone), starting
 * with a read at once. Watches the directory (writers replace the file
 * by renaming another over it, which a watch on the file itself would stop following) and also checks the file's
 * stat every `pollIntervalMs`, for file systems where watching says nothing (network shares, some containers).
 */
export function watchFileContent(
  file: string,
  options: {
    pollIntervalMs: number
    /** The content last known to the caller, which is not reported again; `unknownContent` before any is known. */
    known: () => string | undefined | typeof unknownContent
    onChange: (content: string | undefined) => void
  },
): () => void {
  const name = basename(file)
  let watcher: FSWatcher | undefined
  let lastStat = ''
  let checking: Promise<void> | undefined
  let checkAgain = false
  let stopped = false

  try {
    watcher = watch(dirname(file), { persistent: false }, (_event, changed) => {
      if (changed === null || changed === name) check()
    })
    // A watch that fails later (the directory was removed, say) leaves the polling.
    watcher.on('error', () => {
      watcher?.close()
      watcher = undefined
    })
  } catch {
    // The directory does not exist yet, or cannot be watched: the polling notices the file when it appears.
  }
  const poll = setInterval(() => {
    stat(file).then(
      (stats) => compareStat(`${stats.ino}:${stats.mtimeMs}:${stats.size}`),
      () => compareStat('missing'),
    )
  }, options.pollIntervalMs)
  poll.unref()
  check()

  function compareStat(current: string): void {
    if (current === lastStat) return
    lastStat = current
    check()
  }

  // One read at a time, so that changes are reported in order; changes during a read trigger one more.
  function check(): void {
    if (stopped) return
    if (checking !== undefined) {
      checkAgain = true
      return
    }
    checking = readFile(file, 'utf8')
      .catch((error: unknown) => {
        if ((error as { code?: unknown }).code === 'ENOENT') return undefined
        // Unreadable for now: the next change or poll tries again.
        return options.known()
      })
      .then((content) => {
        if (stopped || content === unknownContent) return
        const known = options.known()
        if (known !== unknownContent && content === known) return
        options.onChange(content)
      })
      .finally(() => {
        checking = undefined
        if (checkAgain) {
          checkAgain = false
          check()
        }
      })
  }

  return () => {
    stopped = true
    watcher?.close()
    clearInterval(poll)
  }
}

/** The content of a file nobody has read or written yet. */
export const unknownContent: unique symbol = Symbol('unknown content')
