import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import { connect } from 'node:net'

/** Whether something accepts connections on 127.0.0.1:`port`. */
export function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

/** A port on 127.0.0.1 that nothing listens on (it was free a moment ago). */
export async function closedPort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const port = (server.address() as { port: number }).port
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** The port of the redirect URI in an authorization URL. */
export function redirectPortOf(authorizationUrl: string): number {
  const redirectUri = new URL(authorizationUrl).searchParams.get('redirect_uri') ?? ''
  return Number(new URL(redirectUri).port)
}

/** Listens on an ephemeral 127.0.0.1 port with `handler`; `close` drops open connections too. */
export async function listen(handler: Parameters<typeof createServer>[1]): Promise<{
  server: Server
  url: string
  close: () => Promise<void>
}> {
  const server = createServer(handler)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}
