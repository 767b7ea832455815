/**
 * Resolves after the task queue has run once: by then every promise that waits on no timer and no I/O has settled.
 * A `MessageChannel` rather than `setTimeout` or `setImmediate`, so that it works under fake timers and in a browser.
 */
export function nextTask(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel()
    channel.port1.onmessage = () => {
      channel.port1.close()
      resolve()
    }
    channel.port2.postMessage(undefined)
  })
}
