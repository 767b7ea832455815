import { createTokenRefresher } from '@tokenflight/core'
import { clientCredentialsGrant } from '@tokenflight/oauth2'
import { startLocalProvider } from './local-provider.js'

// Starts the local provider, prints its settings, checks it with one client credentials token, and stops; with
// `--serve` it keeps serving until Ctrl-C, for trying other programs against it.
const serve = process.argv.includes('--serve')
const provider = await startLocalProvider({ port: Number(process.env.PORT ?? 0) })
const { issuer, client, serviceAccount } = provider
console.log(
  `Local OAuth 2 provider on ${issuer} (access tokens live ${provider.accessTokenTtlMs} ms)`,
)
console.log(`  discovery:         ${issuer}/.well-known/openid-configuration`)
console.log(
  `  token endpoint:    ${provider.tokenEndpoint} (authorization code, refresh token, client credentials)`,
)
console.log(
  `  JWT bearer:        ${provider.jwtBearerTokenEndpoint} (service account ${serviceAccount.clientId}, kid ${serviceAccount.keyId})`,
)
console.log(`  protected API:     ${provider.apiUrl}`)
console.log(`  demo client:       ${client.clientId} / ${client.clientSecret}`)

const refresher = createTokenRefresher({
  refresh: clientCredentialsGrant({ tokenEndpoint: provider.tokenEndpoint, ...client }),
})
const response = await fetch(provider.apiUrl, {
  headers: { authorization: `Bearer ${await refresher.getAccessToken()}` },
})
console.log(`Self-check: the API answered ${response.status} to a client credentials token`)
if (!response.ok) process.exitCode = 1

if (serve && response.ok) {
  console.log('Serving until Ctrl-C')
  process.once('SIGINT', () => void provider.close())
} else {
  await provider.close()
}
