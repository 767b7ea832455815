import { runOnSimulatedProvider } from '@tokenflight/example-support'
import type { OAuthSimulator } from '@tokenflight/testing'
import { HttpResponse, http } from 'msw'

// Not part of the example: `pnpm start` runs src/main.ts against a simulated vendor, the simulated provider of
// @tokenflight/testing on a loopback port behind a refresh endpoint in the vendor's format, and checks what the
// provider saw. With any setting of README.md given, it runs src/main.ts alone.

let simulator: OAuthSimulator | undefined

await runOnSimulatedProvider({
  example: import.meta.dirname,
  realProviderSettings: ['VENDOR_REFRESH_URL', 'VENDOR_REFRESH_TOKEN', 'API_URL'],
  accessTokenLifetimeMs: 3_000,
  rejectTokenEarlyAfterRefreshes: 1,
  // The simulator speaks standard OAuth 2; this endpoint puts the vendor's format in front of it.
  handlers: (origin) => [
    http.post(`${origin}/vendor/auth/refresh`, async ({ request }) => {
      const { refreshToken } = (await request.json()) as { refreshToken?: string }
      try {
        const tokens = await (simulator as OAuthSimulator).refresh({
          tokens: { refreshToken: refreshToken ?? '' },
          signal: request.signal,
        })
        return HttpResponse.json({
          accessToken: tokens.accessToken,
          refreshToken: tokens.refreshToken,
          accessTokenExpiredAt: Math.floor(tokens.expiresAt / 1000),
        })
      } catch {
        return HttpResponse.json(
          { message: 'Refresh token is invalid or expired' },
          { status: 401 },
        )
      }
    }),
  ],
  settings: (server) => {
    simulator = server.simulator
    return {
      VENDOR_REFRESH_URL: `${server.origin}/vendor/auth/refresh`,
      VENDOR_REFRESH_TOKEN: server.simulator.signIn().refreshToken ?? '',
      API_URL: `${server.simulator.apiUrl}/v1/me`,
    }
  },
})
