import type { TokenSet } from '@tokenflight/core'
import {
  anySettingGiven,
  requiredSetting,
  requiredUrlSetting,
  sessionFromRefreshToken,
  startSimulatedProvider,
} from '@tokenflight/example-support'
import type { OAuthSimulator } from '@tokenflight/testing'
import { HttpResponse, http } from 'msw'

/** The vendor's refresh endpoint and API: simulated, or real ones from the environment. */
export interface VendorProvider {
  readonly description: string
  /** The vendor's refresh endpoint: POST `{ refreshToken }`, answered with `{ accessToken, refreshToken, accessTokenExpiredAt }`. */
  readonly refreshUrl: URL
  /** A URL of the vendor's API, requested with GET. */
  readonly apiUrl: URL
  /** The simulator behind the simulated vendor, whose counters the run is checked against. */
  readonly simulator: OAuthSimulator | undefined
  /** The tokens a sign-in gives. */
  signIn(): TokenSet
  close(): void
}

const settings = ['VENDOR_REFRESH_URL', 'VENDOR_REFRESH_TOKEN', 'API_URL']

/**
 * Connects to the real vendor when any of `VENDOR_REFRESH_URL`, `VENDOR_REFRESH_TOKEN` or `API_URL` is set (and
 * checks that all are), otherwise simulates one whose access tokens live `accessTokenLifetimeMs`.
 */
export function connectVendor(simulated: { accessTokenLifetimeMs: number }): VendorProvider {
  if (anySettingGiven(settings)) {
    const refreshUrl = requiredUrlSetting('VENDOR_REFRESH_URL', 'the vendor’s refresh endpoint')
    const apiUrl = requiredUrlSetting(
      'API_URL',
      'a URL of the vendor’s API that the access token is good for',
    )
    const refreshToken = requiredSetting(
      'VENDOR_REFRESH_TOKEN',
      'a refresh token from a sign-in with the vendor',
    )
    return {
      description: `Vendor refresh endpoint at ${refreshUrl.origin}, API at ${apiUrl.origin}`,
      refreshUrl,
      apiUrl,
      simulator: undefined,
      signIn: () => sessionFromRefreshToken(refreshToken),
      close: () => {},
    }
  }
  return simulatedVendor(simulated.accessTokenLifetimeMs)
}

// The simulator speaks standard OAuth 2; this endpoint puts the vendor's format in front of it.
function simulatedVendor(accessTokenLifetimeMs: number): VendorProvider {
  const refreshUrl = new URL('https://vendor.example.test/api/auth/refresh')
  let simulator: OAuthSimulator | undefined
  const vendorRefresh = http.post(refreshUrl.href, async ({ request }) => {
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
      return HttpResponse.json({ message: 'Refresh token is invalid or expired' }, { status: 401 })
    }
  })
  const provider = startSimulatedProvider({
    accessTokenLifetimeMs,
    tokenLatencyMs: 20,
    extraHandlers: [vendorRefresh],
    rejectTokenEarlyAfterRefreshes: 1,
  })
  simulator = provider.simulator
  return {
    description: [
      `Simulated vendor: access tokens live ${accessTokenLifetimeMs} ms, refresh tokens are single-use`,
      '(set VENDOR_* and API_URL to use the real one, see README.md)',
    ].join('\n'),
    refreshUrl,
    apiUrl: new URL('/v1/me', simulator.apiUrl),
    simulator,
    signIn: () => provider.simulator.signIn(),
    close: provider.close,
  }
}
