type AbortCallback = () => void

// One listener per signal, however many callers wait with it: Node warns past ten listeners on one
// signal (a page-wide AbortController shared by every request, say), and each listener costs memory.
// A signal with one waiter keeps its callback as is; a Set is made only for the second.
const callbacksBySignal = new WeakMap<EventTarget, AbortCallback | Set<AbortCallback>>()

function runAbortCallbacks(event: Event): void {
  const signal = event.currentTarget as EventTarget
  const callbacks = callbacksBySignal.get(signal)
  callbacksBySignal.delete(signal)
  if (typeof callbacks === 'function') callbacks()
  else if (callbacks !== undefined) for (const callback of callbacks) callback()
}

function whenAborted(signal: AbortSignal, callback: AbortCallback): void {
  const callbacks = callbacksBySignal.get(signal)
  if (callbacks === undefined) {
    callbacksBySignal.set(signal, callback)
    signal.addEventListener('abort', runAbortCallbacks, { once: true })
  } else if (typeof callbacks === 'function') {
    callbacksBySignal.set(signal, new Set([callbacks, callback]))
  } else {
    callbacks.add(callback)
  }
}

function forget(signal: AbortSignal, callback: AbortCallback): void {
  const callbacks = callbacksBySignal.get(signal)
  if (
    callbacks === callback ||
    (callbacks instanceof Set && callbacks.delete(callback) && callbacks.size === 0)
  ) {
    callbacksBySignal.delete(signal)
    signal.removeEventListener('abort', runAbortCallbacks)
  }
}

// Each waiter's abort callback is forgotten when the promise it waits on settles: one reaction per
// promise runs them all, rather than two closures per waiter.
const abortCallbacksByPromise = new WeakMap<Promise<unknown>, Array<[AbortSignal, AbortCallback]>>()

function forgetWhenSettled(
  promise: Promise<unknown>,
  signal: AbortSignal,
  callback: AbortCallback,
): void {
  let waiting = abortCallbacksByPromise.get(promise)
  if (waiting === undefined) {
    const created: Array<[AbortSignal, AbortCallback]> = []
    waiting = created
    abortCallbacksByPromise.set(promise, created)
    const forgetAll = () => {
      abortCallbacksByPromise.delete(promise)
      for (const [waitingSignal, waitingCallback] of created) forget(waitingSignal, waitingCallback)
    }
    promise.then(forgetAll, forgetAll)
  }
  waiting.push([signal, callback])
}

/**
 * Settles like `promise`, or rejects with the signal's reason as soon as it aborts; the promise itself goes on.
 */
export function waitFor<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(signal.reason)
    whenAborted(signal, abort)
    forgetWhenSettled(promise, signal, abort)
    promise.then(resolve, reject)
  })
}
