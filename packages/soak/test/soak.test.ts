import { inspect } from 'node:util'
import { attachTokenRefresh } from '@tokenflight/axios'
import {
  createTokenRefresher,
  type RefreshFunction,
  SessionExpiredError,
  TokenRefreshError,
  type TokenRefreshEvent,
  type TokenRefresher,
  type TokenSet,
  type TokenStore,
} from '@tokenflight/core'
import { withTokenRefresh } from '@tokenflight/fetch'
import { tokenRefreshHooks } from '@tokenflight/ky'
import {
  createOAuthSimulator,
  type OAuthSimulator,
  type RequestGate,
  type TokenFailure,
} from '@tokenflight/testing'
import axios from 'axios'
import ky2, { HTTPError as Ky2HTTPError } from 'ky'
import ky1, { HTTPError as Ky1HTTPError } from 'ky1'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'

// `pnpm soak` runs 50 000 schedules; CI runs the default. A failure names its seed: run it again with
// TOKENFLIGHT_SOAK_SEED=<seed> TOKENFLIGHT_SOAK_SCHEDULES=1 to replay that one schedule.
const scheduleCount = Number(process.env.TOKENFLIGHT_SOAK_SCHEDULES ?? 1_000)
const baseSeed = Number(process.env.TOKENFLIGHT_SOAK_SEED ?? Math.floor(Math.random() * 2 ** 31))
const refreshTimeoutMs = 1_000
// A call waits at most for the first store read, one refresh, and one more after its 401 (DESIGN 20, 7).
const settleBoundMs = 3 * refreshTimeoutMs + 50
const clients = ['core', 'fetch', 'axios', 'ky 2', 'ky 1'] as const
type ClientKind = (typeof clients)[number]

/** Mulberry32: a small seeded generator, so that a failing schedule can be replayed from its seed. */
function seededRandom(seed: number) {
  let state = seed >>> 0
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
  return {
    next,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    chance: (probability: number) => next() < probability,
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T,
  }
}

type StoreFault = 'fail' | 'hang' | 'slow'

/** A store in memory whose next calls can be told to fail, hang forever, or answer late. */
function faultyStore() {
  let stored: TokenSet | undefined
  const faults: Array<{ operation: 'get' | 'set'; fault: StoreFault }> = []
  const state = { lastWriteFailed: false, read: () => stored }
  const apply = <T>(operation: 'get' | 'set', action: () => T): T | Promise<T> => {
    const index = faults.findIndex((fault) => fault.operation === operation)
    const fault = index < 0 ? undefined : faults.splice(index, 1)[0]?.fault
    if (operation === 'set') state.lastWriteFailed = fault === 'fail' || fault === 'hang'
    if (fault === 'fail') return Promise.reject(new Error(`Injected ${operation} failure`))
    if (fault === 'hang') return new Promise<never>(() => {})
    if (fault === 'slow') return new Promise((resolve) => setTimeout(() => resolve(action()), 200))
    return action()
  }
  const store: TokenStore = {
    get: () => apply('get', () => stored),
    set: (tokens) =>
      apply('set', () => {
        stored = tokens
      }),
    clear: () =>
      apply('set', () => {
        stored = undefined
      }),
  }
  return {
    store,
    state,
    inject: (operation: 'get' | 'set', fault: StoreFault) => faults.push({ operation, fault }),
  }
}

interface CallRecord {
  startedAt: number
  settledAt?: number
  error?: unknown
  /** `setTokens` and `clear` reject with the store's own failure: their callers own the persistence. */
  writesStore: boolean
}

type Send = (signal: AbortSignal | undefined) => Promise<unknown>

function createClient(kind: ClientKind, refresher: TokenRefresher, url: string): Send {
  switch (kind) {
    case 'core':
      // What an app does by hand with core: a token, one request, and one replay after a 401.
      return async (signal) => {
        const sent = await refresher.getAccessToken(signal ? { signal } : undefined)
        const first = await fetch(url, {
          headers: { authorization: `Bearer ${sent}` },
          signal: signal ?? null,
        })
        if (first.status !== 401) return first.arrayBuffer()
        await first.arrayBuffer()
        const token = await refresher.refreshAfterUnauthorized(
          sent,
          signal ? { signal } : undefined,
        )
        return (
          await fetch(url, {
            headers: { authorization: `Bearer ${token}` },
            signal: signal ?? null,
          })
        ).arrayBuffer()
      }
    case 'fetch': {
      const apiFetch = withTokenRefresh(fetch, refresher)
      return async (signal) => (await apiFetch(url, signal ? { signal } : {})).arrayBuffer()
    }
    case 'axios': {
      const instance = axios.create()
      attachTokenRefresh(instance, refresher)
      return (signal) => instance.get(url, signal ? { signal } : {})
    }
    case 'ky 2': {
      const api = ky2.create({ hooks: tokenRefreshHooks(refresher) })
      return (signal) => api.get(url, signal ? { signal } : {}).arrayBuffer()
    }
    case 'ky 1': {
      const api = ky1.create({ hooks: tokenRefreshHooks(refresher) })
      return (signal) => api.get(url, signal ? { signal } : {}).arrayBuffer()
    }
  }
}

/** Which failures a call may end with: ours, its own abort, or the client's own report of an HTTP status. */
function isAllowedFailure(error: unknown): boolean {
  if (error instanceof TokenRefreshError) return true
  const name = (error as { name?: unknown } | null)?.name
  if (name === 'AbortError' || name === 'CanceledError' || name === 'Aborted') return true
  if (error instanceof Ky1HTTPError || error instanceof Ky2HTTPError) return true
  return axios.isAxiosError(error) && error.response !== undefined
}

interface Violation {
  what: string
  detail?: unknown
}

async function runSchedule(
  server: ReturnType<typeof setupServer>,
  seed: number,
): Promise<Violation[]> {
  const random = seededRandom(seed)
  const kind = clients[seed % clients.length] as ClientKind
  const lifetimeMs = random.int(1_500, 20_000)
  const simulator: OAuthSimulator = createOAuthSimulator({
    accessTokenLifetimeMs: lifetimeMs,
    reuseDetection: true,
    now: () => Date.now(),
  })
  server.resetHandlers(...simulator.handlers)
  const violations: Violation[] = []
  const events: TokenRefreshEvent[] = []
  const calls: CallRecord[] = []
  const gates: RequestGate[] = []
  const { store, state: storeState, inject } = faultyStore()

  // Rotations the client saw, to know the newest refresh token of the session it holds.
  const successors = new Map<string, string>()
  let head: string | undefined
  let refreshesInFlight = 0
  let ignoreSignalOfNext = false
  const refresh: RefreshFunction = async ({ tokens, signal }) => {
    refreshesInFlight++
    if (refreshesInFlight > 1) violations.push({ what: 'two refresh functions ran at once' })
    try {
      if (tokens?.refreshToken === undefined) throw new SessionExpiredError('Sign in first')
      // A refresh function that ignores its signal delivers late, after its waiters were told of the timeout.
      const ignoreSignal = ignoreSignalOfNext
      ignoreSignalOfNext = false
      const issued = await simulator.refresh({
        tokens,
        signal: ignoreSignal ? new AbortController().signal : signal,
      })
      if (issued.refreshToken !== undefined)
        successors.set(tokens.refreshToken, issued.refreshToken)
      return issued
    } finally {
      refreshesInFlight--
    }
  }

  const signIn = () => {
    const tokens = simulator.signIn()
    head = tokens.refreshToken
    return tokens
  }
  await store.set(signIn())
  const refresher = createTokenRefresher({
    refresh,
    store,
    refreshTimeoutMs,
    onEvent: (event) => events.push(event),
  })
  const send = createClient(kind, refresher, `${simulator.apiUrl}/items`)

  // From the end of a session until the next sign-in, the token endpoint must not be called.
  let refreshCallsAtSessionEnd: number | undefined
  const checkNoCallAfterSessionEnd = () => {
    const ended = events.some((event) => event.type === 'session-expired')
    if (ended && refreshCallsAtSessionEnd === undefined)
      refreshCallsAtSessionEnd = simulator.stats.refreshCalls
    if (
      refreshCallsAtSessionEnd !== undefined &&
      simulator.stats.refreshCalls > refreshCallsAtSessionEnd
    ) {
      violations.push({ what: 'the token endpoint was called after the session ended' })
      refreshCallsAtSessionEnd = simulator.stats.refreshCalls
    }
  }

  const track = (promise: Promise<unknown>, writesStore = false) => {
    const record: CallRecord = { startedAt: Date.now(), writesStore }
    calls.push(record)
    promise.then(
      () => {
        record.settledAt = Date.now()
      },
      (error: unknown) => {
        record.settledAt = Date.now()
        record.error = error
      },
    )
  }

  const failures: TokenFailure[] = [
    'server-error',
    'rate-limited',
    'network-error',
    'malformed-body',
    'hang',
  ]
  const steps = random.int(8, 30)
  for (let step = 0; step < steps; step++) {
    const roll = random.next()
    if (roll < 0.35) {
      for (let index = random.int(1, 6); index > 0; index--) {
        const controller = random.chance(0.15) ? new AbortController() : undefined
        if (controller !== undefined) setTimeout(() => controller.abort(), random.int(0, 1_500))
        track(send(controller?.signal))
      }
    } else if (roll < 0.55) {
      await vi.advanceTimersByTimeAsync(random.int(0, lifetimeMs))
    } else if (roll < 0.62) {
      simulator.expireAccessTokens()
    } else if (roll < 0.72) {
      simulator.failTokenRequests(random.pick(failures), { times: random.int(1, 3) })
    } else if (roll < 0.76) {
      // The next refresh is held at the token endpoint and, ignoring its signal, delivers whenever it is let go.
      ignoreSignalOfNext = true
      gates.push(simulator.holdTokenRequests(1))
    } else if (roll < 0.8) {
      for (const gate of gates.splice(0)) gate.release()
    } else if (roll < 0.88) {
      inject(random.chance(0.3) ? 'get' : 'set', random.pick(['fail', 'hang', 'slow'] as const))
    } else if (roll < 0.91) {
      track(refresher.setTokens(signIn()), true)
      refreshCallsAtSessionEnd = undefined
      events.length = 0
    } else if (roll < 0.93) {
      track(refresher.clear(), true)
    } else if (roll < 0.95) {
      simulator.revokeSession()
    } else {
      track(refresher.refresh())
    }
    await vi.advanceTimersByTimeAsync(random.int(0, 300))
    checkNoCallAfterSessionEnd()
  }

  // Let everything end: held refreshes delivered, every deadline passed.
  for (const gate of gates.splice(0)) gate.release()
  for (let round = 0; round < 20 && calls.some((call) => call.settledAt === undefined); round++) {
    await vi.advanceTimersByTimeAsync(refreshTimeoutMs)
  }
  await vi.advanceTimersByTimeAsync(refreshTimeoutMs * 3)
  checkNoCallAfterSessionEnd()

  for (const call of calls) {
    if (call.settledAt === undefined) violations.push({ what: 'a call never settled' })
    else if (call.settledAt - call.startedAt > settleBoundMs)
      violations.push({ what: `a call settled after ${call.settledAt - call.startedAt} ms` })
    const storeFailure =
      call.writesStore && (call.error as Error | undefined)?.message?.startsWith('Injected')
    if (call.error !== undefined && !storeFailure && !isAllowedFailure(call.error))
      violations.push({
        what: 'a call failed with an error of another kind',
        detail: inspect(call.error),
      })
  }
  if (simulator.stats.reusedRefreshTokens > 0) {
    violations.push({
      what: `${simulator.stats.reusedRefreshTokens} refresh token(s) were used twice`,
    })
  }

  // No rotated refresh token lost: unless the session ended, memory and store hold the newest of this session.
  let newest = head
  while (newest !== undefined && successors.has(newest)) newest = successors.get(newest)
  const held = refresher.getTokens()
  if (held !== undefined && held.refreshToken !== newest) {
    violations.push({ what: 'the refresher does not hold the newest refresh token of its session' })
  }
  if (
    held !== undefined &&
    !storeState.lastWriteFailed &&
    storeState.read()?.refreshToken !== newest
  ) {
    violations.push({ what: 'the store does not hold the newest refresh token of the session' })
  }

  // No token value in any error of ours, event or log line. The client's own error for a final 401 (an AxiosError,
  // ky's HTTPError) shows the request it sent, header included: that is the client's, passed through untouched.
  const texts: Array<[string, string]> = [
    ...calls.flatMap(
      (call): Array<[string, string]> =>
        call.error instanceof TokenRefreshError
          ? [
              [
                `${call.error.name}`,
                `${String(call.error)} ${safeStringify(call.error)} ${inspect(call.error, { depth: 6 })}`,
              ],
            ]
          : [],
    ),
    ...events.map((event): [string, string] => [
      `event ${event.type}`,
      `${safeStringify(event)} ${inspect(event, { depth: 6 })}`,
    ]),
    ...logged.splice(0).map((line): [string, string] => ['log line', line]),
  ]
  for (const token of simulator.issuedTokens()) {
    const leak = texts.find(([, text]) => text.includes(token))
    if (leak !== undefined) {
      violations.push({
        what: `a token value appeared in ${leak[0]}`,
        detail: leak[1].slice(0, 300),
      })
      break
    }
  }
  return violations.map((violation) => ({ ...violation, what: `${kind}: ${violation.what}` }))
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value) ?? ''
  } catch {
    return ''
  }
}

const logged: string[] = []
const server = setupServer()

beforeAll(() => {
  server.listen({ onUnhandledRequest: 'error' })
  for (const method of ['warn', 'error', 'log'] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      logged.push(
        args.map((arg) => (typeof arg === 'string' ? arg : inspect(arg, { depth: 6 }))).join(' '),
      )
    })
  }
})
afterEach(() => {
  vi.useRealTimers()
})
afterAll(() => {
  server.close()
  vi.restoreAllMocks()
})

describe('the fault-injection soak', () => {
  it(`keeps every invariant through ${scheduleCount} random schedules (seed ${baseSeed})`, async () => {
    const failed: string[] = []
    for (let index = 0; index < scheduleCount && failed.length < 5; index++) {
      const seed = (baseSeed + index) % 2 ** 31
      vi.useFakeTimers({
        toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
      })
      const violations = await runSchedule(server, seed)
      vi.useRealTimers()
      if (scheduleCount > 1_000 && (index + 1) % 5_000 === 0) {
        process.stderr.write(
          `soak: ${index + 1} of ${scheduleCount} schedules, ${failed.length} failed\n`,
        )
      }
      for (const violation of violations) {
        failed.push(
          `seed ${seed}: ${violation.what}${violation.detail === undefined ? '' : ` (${violation.detail})`}`,
        )
      }
    }
    expect(
      failed,
      `Replay one with TOKENFLIGHT_SOAK_SEED=<seed> TOKENFLIGHT_SOAK_SCHEDULES=1`,
    ).toEqual([])
  }, 600_000)
})
