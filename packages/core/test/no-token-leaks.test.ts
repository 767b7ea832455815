import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import {
  createTokenRefresher,
  type TokenRefreshEvent,
  type TokenRefresherOptions,
  type TokenSet,
} from '../src/index.js'
import { flushPromises } from './support.js'

const accessToken = 'SECRET-ACCESS-7f3a'
const refreshToken = 'SECRET-REFRESH-91bc'
const initialTokens = { accessToken, refreshToken, expiresAt: Date.now() - 1 }

// An error like the one an HTTP client throws for the token request: it holds the request, body included.
function clientErrorHoldingTheRequest(status: number, body: unknown = { error: 'server_error' }) {
  return Object.assign(new Error(`Request failed with status code ${status}`), {
    config: {
      headers: { Authorization: `Bearer ${accessToken}` },
      data: `grant_type=refresh_token&refresh_token=${refreshToken}`,
    },
    response: { status, data: body },
  })
}

function everyOutput(error: unknown): string[] {
  return [
    String(error),
    (error as Error).message,
    (error as Error).stack ?? '',
    JSON.stringify(error),
    inspect(error, { depth: 10 }),
  ]
}

async function failingRefresh(thrown: unknown, extra: Partial<TokenRefresherOptions> = {}) {
  const events: TokenRefreshEvent[] = []
  const refresher = createTokenRefresher({
    initialTokens,
    refresh: async () => {
      throw thrown
    },
    onEvent: (event) => events.push(event),
    ...extra,
  })
  const error = await refresher.getAccessToken().catch((caught: unknown) => caught)
  await flushPromises()
  return { error, events, refresher }
}

function expectNoSecret(outputs: string[]) {
  for (const output of outputs) {
    expect(output).not.toContain('SECRET')
  }
}

describe('behaviour 9: no token value in any output', () => {
  it('keeps tokens out of a transient failure whose cause holds the token request', async () => {
    const { error, events } = await failingRefresh(clientErrorHoldingTheRequest(500))

    expectNoSecret(everyOutput(error))
    expectNoSecret(
      events.flatMap((event) => [JSON.stringify(event), inspect(event, { depth: 10 })]),
    )
  })

  it('keeps tokens out of a session expiry whose cause holds the token request', async () => {
    const { error, events } = await failingRefresh(
      Object.assign(clientErrorHoldingTheRequest(400, { error: 'invalid_grant' }), {
        error: 'invalid_grant',
      }),
    )

    expect((error as Error).name).toBe('SessionExpiredError')
    expectNoSecret(everyOutput(error))
    expectNoSecret(
      events.flatMap((event) => [JSON.stringify(event), inspect(event, { depth: 10 })]),
    )
  })

  it('still shows what failed: the error, its code and the cause name and message', async () => {
    const { error } = await failingRefresh(clientErrorHoldingTheRequest(503))

    const printed = inspect(error)
    expect(printed).toContain('RefreshFailedError: Refresh function threw Error')
    expect(printed).toContain("code: 'REFRESH_FAILED'")
    expect(printed).toContain('[cause]: Error: Request failed with status code 503')
  })

  it('keeps tokens out of a validation failure', async () => {
    const refresher = createTokenRefresher({
      initialTokens,
      refresh: async () =>
        ({ accessToken: refreshToken, expiresAt: `${accessToken}` }) as unknown as TokenSet,
    })
    const error = await refresher.refresh().catch((caught: unknown) => caught)

    expect((error as Error).name).toBe('RefreshFailedError')
    expectNoSecret(everyOutput(error))
  })

  it('keeps tokens out of the TypeError for invalid initialTokens', () => {
    let error: unknown
    try {
      createTokenRefresher({
        refresh: async () => initialTokens,
        initialTokens: { accessToken, refreshToken: refreshToken.length as unknown as string },
      })
    } catch (caught) {
      error = caught
    }

    expect(error).toBeInstanceOf(TypeError)
    expectNoSecret(everyOutput(error))
  })

  it('keeps tokens out of the events of a successful refresh', async () => {
    const events: TokenRefreshEvent[] = []
    const refresher = createTokenRefresher({
      initialTokens,
      refresh: async () => ({ accessToken: `${accessToken}-2`, refreshToken: `${refreshToken}-2` }),
      onEvent: (event) => events.push(event),
    })
    await refresher.getAccessToken()
    await refresher.refreshAfterUnauthorized(accessToken)

    expect(events.map((event) => event.type)).toEqual([
      'refresh-started',
      'refresh-succeeded',
      'stale-unauthorized',
    ])
    expectNoSecret(
      events.flatMap((event) => [JSON.stringify(event), inspect(event, { depth: 10 })]),
    )
  })

  it('keeps tokens out of util.inspect and JSON.stringify of the refresher', async () => {
    const refresher = createTokenRefresher({ initialTokens, refresh: async () => initialTokens })
    await refresher.getAccessToken()

    expect(inspect(refresher)).toMatch(/^TokenRefresher \{ expiresAt: \d+ \}$/)
    expectNoSecret([inspect(refresher, { depth: 10, showHidden: true }), JSON.stringify(refresher)])
  })
})
