import { runOnSimulatedProvider, simulatedClient } from '@tokenflight/example-support'

// Not part of the example: `pnpm start` runs src/main.ts against the simulated provider of @tokenflight/testing, on a
// loopback port, with tokens that live two seconds, and checks that no request was sent with an expired token. With any
// setting of README.md given, it runs src/main.ts alone.

await runOnSimulatedProvider({
  example: import.meta.dirname,
  realProviderSettings: [
    'OAUTH2_ISSUER',
    'OAUTH2_TOKEN_ENDPOINT',
    'OAUTH2_CLIENT_ID',
    'OAUTH2_CLIENT_SECRET',
    'OAUTH2_PRIVATE_KEY_FILE',
    'OAUTH2_KEY_ID',
    'OAUTH2_SCOPE',
    'API_URL',
  ],
  accessTokenLifetimeMs: 2_000,
  apiLatencyMs: 15,
  expectNoUnauthorized: true,
  settings: ({ simulator }) => ({
    OAUTH2_TOKEN_ENDPOINT: simulator.tokenUrl,
    OAUTH2_CLIENT_ID: simulatedClient.id,
    OAUTH2_CLIENT_SECRET: simulatedClient.secret,
    API_URL: `${simulator.apiUrl}/v1/reports`,
  }),
})
