import { serveOAuthSimulator } from '@tokenflight/testing/node'
import { HttpResponse, http } from 'msw'
import { afterEach, describe, expect, it } from 'vitest'

const servers: Array<{ close(): Promise<void> }> = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()))
})

async function start(options: Parameters<typeof serveOAuthSimulator>[0] = {}) {
  const server = await serveOAuthSimulator(options)
  servers.push(server)
  return server
}

describe('a simulator served on loopback', () => {
  it('rotates refresh tokens over real HTTP and detects reuse', async () => {
    const { simulator, origin } = await start({ reuseDetection: true })
    expect(origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    const signedIn = simulator.signIn()
    const first = await simulator.refresh({
      tokens: signedIn,
      signal: AbortSignal.timeout(5_000),
    })
    expect(first.refreshToken).not.toBe(signedIn.refreshToken)
    const reused = simulator.refresh({ tokens: signedIn, signal: AbortSignal.timeout(5_000) })
    await expect(reused).rejects.toMatchObject({ error: 'invalid_grant' })
    expect(simulator.stats.reusedRefreshTokens).toBe(1)
    // Reuse revoked the whole family, the rotated token included.
    const afterReuse = simulator.refresh({ tokens: first, signal: AbortSignal.timeout(5_000) })
    await expect(afterReuse).rejects.toMatchObject({ error: 'invalid_grant' })
  })

  it('answers the API with 401 for a missing token and echoes an authorized request', async () => {
    const { simulator } = await start()
    const tokens = simulator.signIn()
    const anonymous = await fetch(`${simulator.apiUrl}/me`)
    expect(anonymous.status).toBe(401)
    await anonymous.arrayBuffer()
    const response = await fetch(`${simulator.apiUrl}/items?x=1`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.accessToken}`, 'content-type': 'text/plain' },
      body: 'hello',
    })
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({
      method: 'POST',
      path: '/api/items',
      search: '?x=1',
      body: { text: 'hello' },
    })
    expect(simulator.stats.apiRequests.map((request) => request.status)).toEqual([401, 200])
  })

  it('drops the connection for an injected network error', async () => {
    const { simulator } = await start()
    simulator.failTokenRequests('network-error')
    await expect(
      simulator.refresh({ tokens: simulator.signIn(), signal: AbortSignal.timeout(5_000) }),
    ).rejects.toThrow(TypeError)
  })

  it('ends a hung token request when the client aborts', async () => {
    const { simulator } = await start()
    simulator.failTokenRequests('hang')
    const controller = new AbortController()
    const pending = simulator.refresh({ tokens: simulator.signIn(), signal: controller.signal })
    setTimeout(() => controller.abort(new Error('gave up')), 50)
    await expect(pending).rejects.toThrow('gave up')
    // The next request is answered: the hung one did not block the server.
    await expect(
      simulator.refresh({ tokens: simulator.signIn(), signal: AbortSignal.timeout(5_000) }),
    ).resolves.toMatchObject({ tokenType: 'Bearer' })
  })

  it('serves extra handlers after the simulator, such as a test page', async () => {
    const { origin } = await start({
      handlers: (serverOrigin) => [
        http.get(`${serverOrigin}/page`, () => HttpResponse.text(`served at ${serverOrigin}`)),
      ],
    })
    const response = await fetch(`${origin}/page`)
    expect(await response.text()).toBe(`served at ${origin}`)
    const missing = await fetch(`${origin}/nothing`)
    expect(missing.status).toBe(404)
    await missing.arrayBuffer()
  })

  it('rejects handlers that are not a function of the origin', async () => {
    await expect(serveOAuthSimulator({ handlers: [] as never })).rejects.toThrow(
      'Expected `handlers` to be a function of the origin that returns handlers',
    )
  })
})
