import { afterAll, beforeAll } from 'vitest'
import type { LocalProvider } from './oidc-provider.js'
import { listen } from './ports.js'

export interface ProtectedApi {
  url: string
  /** Requests answered, by status. */
  answered: Map<number, number>
  close(): Promise<void>
}

/**
 * A resource server for `local`'s tokens: 200 with the token's subject for a bearer token the provider issued and
 * still holds valid (user or client credentials tokens alike), 401 otherwise. The body of a POST is echoed back.
 */
export async function startProtectedApi(local: LocalProvider): Promise<ProtectedApi> {
  const answered = new Map<number, number>()
  const server = await listen(async (request, response) => {
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1] ?? ''
    const found =
      (await local.provider.AccessToken.find(token)) ??
      (await local.provider.ClientCredentials.find(token))
    const chunks: Buffer[] = []
    for await (const chunk of request) chunks.push(chunk as Buffer)
    const status = found === undefined || found.isExpired ? 401 : 200
    answered.set(status, (answered.get(status) ?? 0) + 1)
    response.writeHead(status, { 'content-type': 'application/json' })
    response.end(
      JSON.stringify(
        status === 200
          ? {
              subject:
                found !== undefined && 'accountId' in found ? found.accountId : found?.clientId,
              body: Buffer.concat(chunks).toString(),
            }
          : { error: 'invalid_token' },
      ),
    )
  })
  return { url: server.url, answered, close: server.close }
}

/** Starts a protected API for the provider of the calling file before its tests, and stops it after them. */
export function useProtectedApi(local: LocalProvider): ProtectedApi {
  const api = {} as ProtectedApi
  beforeAll(async () => {
    Object.assign(api, await startProtectedApi(local))
  })
  afterAll(() => api.close())
  return api
}
