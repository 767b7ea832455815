import { cp, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import {
  parseTokenResponse,
  RefreshFailedError,
  SessionExpiredError,
  TokenRefreshError,
} from '@tokenflight/core'
import { createOAuthSimulator, type OAuthSimulator } from '@tokenflight/testing'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { AdapterHarness, ContractClient } from './adapter-harness.js'
import type { MockNetwork } from './mock-network.js'
import { nextTask } from './next-task.js'

type Core = typeof import('@tokenflight/core')

/**
 * Loads a second, separate instance of every module of core, from a copy of its source in a temporary folder: as in
 * an app whose own code resolves one version of `@tokenflight/core` and whose adapter another.
 */
async function loadAnotherCore(): Promise<{ core: Core; remove: () => Promise<void> }> {
  const directory = await mkdtemp(join(tmpdir(), 'tokenflight-another-core-'))
  await cp(new URL('../../core/src', import.meta.url), directory, { recursive: true })
  const core = (await import(
    /* @vite-ignore */ pathToFileURL(join(directory, 'index.ts')).href
  )) as Core
  return { core, remove: () => rm(directory, { recursive: true }) }
}

/**
 * Registers, for one adapter, the scenarios where the app's refresher comes from another copy of core than the
 * adapter's: its refresh signal and its typed errors must still be recognized (issue 11, defect 5). Node only.
 *
 * @example
 * describeWithAnotherCore(fetchUrlHarness, useNodeNetwork())
 */
export function describeWithAnotherCore(harness: AdapterHarness, network: MockNetwork): void {
  describe(`with the refresher of another copy of core: ${harness.name}`, () => {
    let other: Core
    let remove = async () => {}
    beforeAll(async () => {
      ;({ core: other, remove } = await loadAnotherCore())
    })
    afterAll(() => remove())

    function setup(refreshThroughClient = false): {
      simulator: OAuthSimulator
      client: ContractClient
      api: string
    } {
      const simulator = createOAuthSimulator()
      network.use(...simulator.handlers)
      let client: ContractClient | undefined
      const refresher = other.createTokenRefresher({
        initialTokens: simulator.signIn(),
        now: simulator.clock.now,
        refreshTimeoutMs: 2_000,
        refresh: refreshThroughClient
          ? async ({ tokens, signal }) => {
              const outcome = await client?.send({
                url: simulator.tokenUrl,
                method: 'POST',
                body: {
                  kind: 'url-search-params',
                  value: new URLSearchParams({
                    grant_type: 'refresh_token',
                    refresh_token: tokens?.refreshToken ?? '',
                  }),
                },
                signal,
              })
              return parseTokenResponse(outcome?.body, { now: simulator.clock.now })
            }
          : simulator.refresh,
      })
      client = harness.createClient(refresher)
      return { simulator, client, api: `${simulator.apiUrl}/me` }
    }

    it('loads a copy whose classes are not those of the adapter', () => {
      expect(other.SessionExpiredError).not.toBe(SessionExpiredError)
    })

    if (harness.recognizesRefreshSignal) {
      describe('when the refresh function calls the token endpoint through the same client with only its signal', () => {
        it('recognizes the signal the other copy marked and refreshes once, without waiting on itself', async () => {
          const { simulator, client, api } = setup(true)
          simulator.expireAccessTokens()

          const outcome = await client.send({ url: api })

          expect(outcome.status).toBe(200)
          expect(simulator.stats.refreshCalls).toBe(1)
          expect(simulator.stats.apiRequests.map((request) => request.status)).toEqual([401, 200])
        })
      })
    }

    describe('when the refresh fails for a moment', () => {
      it("rejects with the other copy's RefreshFailedError, which the adapter's copy recognizes too", async () => {
        const { simulator, client, api } = setup()
        simulator.expireAccessTokens()
        simulator.failTokenRequests('server-error')

        const error = await client.send({ url: api }).catch((caught: unknown) => caught)

        expect(error).toBeInstanceOf(other.RefreshFailedError)
        expect(error).toBeInstanceOf(RefreshFailedError)
        expect(error).toBeInstanceOf(TokenRefreshError)
        expect(error).not.toBeInstanceOf(SessionExpiredError)
      })
    })

    describe('when the session has expired and more requests are sent', () => {
      it("rejects each of them at once with the other copy's SessionExpiredError", async () => {
        const { simulator, client, api } = setup()
        simulator.revokeSession()
        await client.send({ url: api }).catch(() => {})
        vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] })
        try {
          const settled: unknown[] = []
          for (let index = 0; index < 3; index++) {
            client.send({ url: api }).then(
              () => settled.push('resolved'),
              (error: unknown) => settled.push(error),
            )
          }
          await nextTask()

          expect(settled).toHaveLength(3)
          expect(settled.every((error) => error instanceof other.SessionExpiredError)).toBe(true)
          expect(settled.every((error) => error instanceof SessionExpiredError)).toBe(true)
          expect(simulator.stats.refreshCalls).toBe(1)
        } finally {
          vi.useRealTimers()
        }
      })
    })
  })
}
