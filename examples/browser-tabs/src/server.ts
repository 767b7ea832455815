import { readFile } from 'node:fs/promises'
import { dirname, extname, join, normalize } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type OAuthSimulatorServer, serveOAuthSimulator } from '@tokenflight/testing/node'
import { HttpResponse, http } from 'msw'

const publicDir = fileURLToPath(new URL('../public/', import.meta.url))
// The browser loads each package's built ESM (`pnpm build` makes it), as it would from a CDN or your own server.
const packages = ['browser', 'core', 'fetch']
const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
}

/**
 * Serves the example page, the packages it imports, and a simulated provider and API on one loopback origin.
 * `/demo/*` stands in for the app's own sign-in, and lets the page make the provider reject the access token.
 */
export async function startExampleServer(
  options: { port?: number } = {},
): Promise<OAuthSimulatorServer> {
  const server: OAuthSimulatorServer = await serveOAuthSimulator({
    port: options.port ?? 0,
    reuseDetection: true,
    accessTokenLifetimeMs: 5 * 60_000,
    handlers: (origin) => [
      http.get(`${origin}/`, () => serveFile(join(publicDir, 'index.html'))),
      http.get(`${origin}/app.js`, () => serveFile(join(publicDir, 'app.js'))),
      http.get(`${origin}/modules/@tokenflight/:name/*`, ({ params }) => {
        const name = String(params.name)
        const path = normalize(String(params[0]))
        if (!packages.includes(name) || path.startsWith('..'))
          return new HttpResponse(null, { status: 404 })
        return serveFile(join(packageDir(name), 'dist', path))
      }),
      http.post(`${origin}/demo/sign-in`, () => HttpResponse.json(server.simulator.signIn())),
      http.post(`${origin}/demo/expire`, () => {
        server.simulator.expireAccessTokens()
        return new HttpResponse(null, { status: 204 })
      }),
      http.get(`${origin}/demo/stats`, () => {
        const { refreshCalls, reusedRefreshTokens, apiRequests } = server.simulator.stats
        return HttpResponse.json({
          refreshCalls,
          reusedRefreshTokens,
          apiRequests: apiRequests.length,
        })
      }),
    ],
  })
  return server
}

function packageDir(name: string): string {
  return dirname(fileURLToPath(import.meta.resolve(`@tokenflight/${name}/package.json`)))
}

async function serveFile(path: string): Promise<Response> {
  try {
    const body = await readFile(path)
    return new HttpResponse(body, {
      headers: { 'Content-Type': contentTypes[extname(path)] ?? 'application/octet-stream' },
    })
  } catch {
    return new HttpResponse(`Not found: run \`pnpm build\` first if this is a package file`, {
      status: 404,
    })
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const server = await startExampleServer({ port: Number(process.env.PORT ?? 5173) })
  console.info(`Open ${server.origin}/ in several tabs (Ctrl+C to stop).`)
}
