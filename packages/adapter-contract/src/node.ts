import { readFile } from 'node:fs/promises'
import {
  createTokenRefresher,
  SessionExpiredError,
  type TokenRefresher,
  type TokenSet,
} from '@tokenflight/core'
import {
  createOAuthSimulator,
  type OAuthSimulator,
  type OAuthSimulatorOptions,
} from '@tokenflight/testing'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import type { MockNetwork } from './mock-network.js'

export { describeWithAnotherCore } from './another-core.js'

/**
 * Starts MSW's Node interceptor for the test file and drops the handlers a test added after it; every request it does
 * not handle fails the test.
 */
export function useNodeNetwork(): MockNetwork {
  const server = setupServer()
  beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
  afterEach(() => server.resetHandlers())
  afterAll(() => server.close())
  return server
}

/** A simulator on the network and a refresher signed in to it, sharing its clock. */
export function startSignedIn(
  network: MockNetwork,
  options?: OAuthSimulatorOptions,
): { simulator: OAuthSimulator; refresher: TokenRefresher } {
  const simulator = createOAuthSimulator(options)
  network.use(...simulator.handlers)
  const refresher = createTokenRefresher({
    refresh: simulator.refresh,
    initialTokens: simulator.signIn(),
    now: simulator.clock.now,
  })
  return { simulator, refresher }
}

/** Where an adapter's README example lives and how to call the API with what it builds. */
export interface ReadmeExample {
  readme: URL
  /** The file the README shows verbatim. */
  example: URL
  /** Builds the example's client from signed-in tokens and returns one API call, resolving to its status. */
  createCall: (tokens: TokenSet) => () => Promise<number>
}

/**
 * Checks that a README shows its example file verbatim as a TypeScript block, then runs that file against the
 * simulator standing at the URLs the examples name (`auth.example.com`, `api.example.com`).
 */
export function describeReadmeExample({ readme, example, createCall }: ReadmeExample): void {
  const network = useNodeNetwork()
  afterEach(() => {
    vi.restoreAllMocks()
  })

  function startProvider(): OAuthSimulator {
    const simulator = createOAuthSimulator({
      tokenUrl: 'https://auth.example.com/oauth/token',
      apiUrl: 'https://api.example.com',
    })
    network.use(...simulator.handlers)
    return simulator
  }

  describe('the README', () => {
    it('shows the example file as it is', async () => {
      const [readmeText, exampleText] = await Promise.all([
        readFile(readme, 'utf8'),
        readFile(example, 'utf8'),
      ])
      expect(readmeText).toContain(`\`\`\`ts\n${exampleText}\`\`\``)
    })
  })

  describe('the README example', () => {
    describe('when three calls find the access token rejected', () => {
      it('refreshes once and answers all three', async () => {
        const simulator = startProvider()
        const call = createCall(simulator.signIn())
        simulator.expireAccessTokens()

        const statuses = await Promise.all([call(), call(), call()])

        expect(statuses).toEqual([200, 200, 200])
        expect(simulator.stats.refreshCalls).toBe(1)
      })
    })

    describe('when the session was revoked', () => {
      it('rejects with SessionExpiredError and says so once', async () => {
        const simulator = startProvider()
        const info = vi.spyOn(console, 'info').mockImplementation(() => {})
        const call = createCall(simulator.signIn())
        simulator.revokeSession()

        await expect(call()).rejects.toBeInstanceOf(SessionExpiredError)
        expect(info).toHaveBeenCalledOnce()
      })
    })
  })
}
