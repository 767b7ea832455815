import { OAuth2Server, type TokenRequestIncomingMessage } from 'oauth2-mock-server'
import { afterAll, beforeAll } from 'vitest'

export interface MockServer {
  server: OAuth2Server
  issuer: string
  tokenEndpoint: string
  /** The token requests received, as the server parsed them, with their Authorization header. */
  tokenRequests: Array<{ body: Record<string, unknown>; authorization: string | undefined }>
  close(): Promise<void>
}

/**
 * Starts oauth2-mock-server on 127.0.0.1 with an ephemeral port; access tokens are RS256 JWTs.
 */
export async function startMockServer(): Promise<MockServer> {
  const server = new OAuth2Server()
  await server.issuer.keys.generate('RS256')
  await server.start(0, '127.0.0.1')
  // It names itself `localhost`, which Node may resolve to ::1, where nothing listens.
  const issuer = `http://127.0.0.1:${server.address().port}`
  server.issuer.url = issuer
  const tokenRequests: MockServer['tokenRequests'] = []
  server.service.on(
    'beforeResponse',
    (_response: unknown, request: TokenRequestIncomingMessage) => {
      tokenRequests.push({
        body: { ...request.body },
        authorization: request.headers.authorization,
      })
    },
  )
  return {
    server,
    issuer,
    tokenEndpoint: `${issuer}/token`,
    tokenRequests,
    close: () => server.stop(),
  }
}

/** Starts oauth2-mock-server before the tests of the calling file and stops it after them. */
export function useMockServer(): MockServer {
  const mock = {} as MockServer
  beforeAll(async () => {
    Object.assign(mock, await startMockServer())
  })
  afterAll(() => mock.close())
  return mock
}
