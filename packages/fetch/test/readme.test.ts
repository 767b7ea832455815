import { expectReadmeToShow, useNodeNetwork } from '@tokenflight/adapter-contract/node'
import { SessionExpiredError } from '@tokenflight/core'
import { createOAuthSimulator, type OAuthSimulator } from '@tokenflight/testing'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createApiFetch } from './readme-example.js'

// The README's example is readme-example.ts, shown verbatim (checked first), and run here against the simulator
// standing at the URLs the example names.
const network = useNodeNetwork()
afterEach(() => {
  network.resetHandlers()
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
  it('shows readme-example.ts as it is', async () => {
    await expectReadmeToShow(
      new URL('../README.md', import.meta.url),
      new URL('./readme-example.ts', import.meta.url),
    )
  })
})

describe('the README example', () => {
  describe('when three calls find the access token rejected', () => {
    it('refreshes once and answers all three', async () => {
      const simulator = startProvider()
      const apiFetch = createApiFetch(simulator.signIn())
      simulator.expireAccessTokens()

      const responses = await Promise.all(
        [1, 2, 3].map(() => apiFetch('https://api.example.com/me')),
      )

      expect(responses.map((response) => response.status)).toEqual([200, 200, 200])
      expect(simulator.stats.refreshCalls).toBe(1)
    })
  })

  describe('when the session was revoked', () => {
    it('rejects with SessionExpiredError and says so once', async () => {
      const simulator = startProvider()
      const info = vi.spyOn(console, 'info').mockImplementation(() => {})
      const apiFetch = createApiFetch(simulator.signIn())
      simulator.revokeSession()

      await expect(apiFetch('https://api.example.com/me')).rejects.toBeInstanceOf(
        SessionExpiredError,
      )
      expect(info).toHaveBeenCalledOnce()
    })
  })
})
