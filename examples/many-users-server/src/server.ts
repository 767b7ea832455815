import { once } from 'node:events'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { RefresherPool } from '@tokenflight/core'
import { withTokenRefresh } from '@tokenflight/fetch'
import type { SessionKey } from './sessions.js'

/** Which scope each route of this backend needs at the API it calls. */
const routes: Record<string, string> = {
  '/reports': 'reports:read',
  '/profile': 'profile:read',
}

/**
 * A backend on `node:http` that answers its signed-in users by calling an API on their behalf, each request with
 * the token of its user and the scope its route needs. The user is who the authenticating proxy in front of it
 * (oauth2-proxy, Cloudflare Access, …) says in `x-forwarded-user`.
 */
export async function startBackend(
  sessions: RefresherPool<SessionKey>,
  apiUrl: string,
): Promise<{ url: string; server: Server }> {
  const server = createServer(async (request, response) => {
    const scope = routes[new URL(request.url ?? '/', 'http://backend').pathname]
    const user = signedInUser(request)
    if (scope === undefined || user === undefined) {
      response.writeHead(scope === undefined ? 404 : 401).end()
      return
    }
    try {
      const api = withTokenRefresh(fetch, sessions.get({ user, scope }))
      const answer = await api(apiUrl)
      response.writeHead(answer.status, { 'content-type': 'application/json' })
      response.end(await answer.text())
    } catch (error) {
      response.writeHead(502, { 'content-type': 'application/json' })
      response.end(JSON.stringify({ error: (error as Error).message }))
    }
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server }
}

function signedInUser(request: IncomingMessage): string | undefined {
  const user = request.headers['x-forwarded-user']
  return typeof user === 'string' && user !== '' ? user : undefined
}
