import { readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import type { RefresherPoolEvent } from '@tokenflight/core'
import {
  type LocalProvider,
  localProviderUnlessConfigured,
} from '@tokenflight/example-oauth2-local-provider'
import {
  describeError,
  exitWithError,
  optionalSetting,
  requiredSetting,
} from '@tokenflight/example-support'
import type { JwtBearerGrantOptions } from '@tokenflight/oauth2'
import { startBackend } from './server.js'
import { createSessions, type SessionKey } from './sessions.js'

// Several signed-in users call one backend at once, twice on each of two routes that need different scopes; the
// backend calls an API for each of them through one refresher pool. Without OAUTH2_* settings it runs against a
// local provider whose tokens live 2 s, and checks that every answer is for the user who asked.

async function main(): Promise<void> {
  const local = await localProviderUnlessConfigured()
  try {
    const settings = local ? await localSettings(local) : await realSettings()
    const minted = new Map<string, number>()
    let failedRefreshes = 0
    const sessions = createSessions(settings.serviceAccount, {
      onEvent: (event: RefresherPoolEvent<SessionKey>) => {
        const name = `${event.key.user} ${event.key.scope}`
        if (event.type === 'refresh-succeeded') minted.set(name, (minted.get(name) ?? 0) + 1)
        if (event.type === 'refresh-failed') {
          failedRefreshes++
          console.error(`Refresh for ${name} failed: ${describeError(event.error)}`)
        }
      },
    })
    const backend = await startBackend(sessions, settings.apiUrl)
    console.log(
      `Backend on ${backend.url}, calling ${settings.apiUrl} for ${settings.users.join(', ')}`,
    )

    let requests = 0
    let failures = 0
    let wrongUser = 0
    const startedAt = performance.now()
    for (let round = 1; round <= settings.rounds; round++) {
      const answers = await Promise.all(
        settings.users.flatMap((user) =>
          ['/reports', '/profile', '/reports', '/profile'].map(async (route) => {
            const response = await fetch(`${backend.url}${route}`, {
              headers: { 'x-forwarded-user': user },
            })
            const body = (await response.json()) as { sub?: unknown }
            return { user, status: response.status, sub: body.sub }
          }),
        ),
      )
      requests += answers.length
      failures += answers.filter(({ status }) => status !== 200).length
      wrongUser += answers.filter(({ status, user, sub }) => status === 200 && sub !== user).length
      const statuses = answers.map(({ status }) => status)
      console.log(
        `${((performance.now() - startedAt) / 1000).toFixed(1).padStart(4)} s  round ${round}: ${answers.length} requests -> ${[...new Set(statuses)].join(', ')}; ${sessions.size} sessions`,
      )
      if (round < settings.rounds) await sleep(settings.intervalMs)
    }
    backend.server.close()

    for (const [name, count] of [...minted].sort())
      console.log(`tokens minted for ${name}: ${count}`)
    const total = [...minted.values()].reduce((sum, count) => sum + count, 0)
    console.log(
      `${requests} requests, ${failures} failed, ${wrongUser} answered for another user; ${total} tokens minted for ${minted.size} sessions`,
    )
    // Each session gets two concurrent requests a round: they share one token request, so a session mints at most
    // once a round, and more than once over the run, as its tokens expire.
    const expected =
      local === undefined ||
      (minted.size === settings.users.length * 2 &&
        [...minted.values()].every((count) => count >= 2 && count <= settings.rounds))
    if (failures > 0 || wrongUser > 0 || failedRefreshes > 0 || !expected) {
      console.error(
        'Unexpected: every request must succeed with its own user’s token, one token request per session and expiry',
      )
      process.exitCode = 1
    }
  } finally {
    await local?.close()
  }
}

async function localSettings(provider: LocalProvider) {
  const { clientId, keyId, privateKeyPem } = provider.serviceAccount
  console.log(
    `Local provider on ${provider.issuer}; access tokens live ${provider.accessTokenTtlMs} ms`,
  )
  return {
    serviceAccount: {
      tokenEndpoint: provider.jwtBearerTokenEndpoint,
      clientId,
      assertion: { algorithm: 'RS256', key: await importPrivateKey(privateKeyPem), keyId },
    } satisfies JwtBearerGrantOptions,
    apiUrl: provider.apiUrl,
    users: ['alice', 'bob', 'carol', 'dave', 'erin'],
    rounds: 8,
    intervalMs: 250,
  }
}

async function realSettings() {
  // A token endpoint rather than an issuer: each session's grant would discover it again.
  const tokenEndpoint = requiredSetting(
    'OAUTH2_TOKEN_ENDPOINT',
    'your provider’s token endpoint URL',
  )
  const clientId = requiredSetting('OAUTH2_CLIENT_ID', 'the service account’s client id')
  const key = await importPrivateKey(
    readFileSync(
      requiredSetting(
        'OAUTH2_ASSERTION_KEY_FILE',
        'a PKCS #8 PEM file with the service account’s RS256 private key',
      ),
      'utf8',
    ),
  )
  const keyId = optionalSetting('OAUTH2_ASSERTION_KEY_ID')
  const audience = optionalSetting('OAUTH2_ASSERTION_AUDIENCE')
  return {
    serviceAccount: {
      tokenEndpoint,
      clientId,
      assertion: {
        algorithm: 'RS256',
        key,
        ...(keyId === undefined ? {} : { keyId }),
        ...(audience === undefined ? {} : { audience }),
      },
    } satisfies JwtBearerGrantOptions,
    apiUrl: requiredSetting('API_URL', 'an API of your provider that the users’ tokens are for'),
    users: requiredSetting('OAUTH2_USERS', 'the users to act for, separated by commas').split(','),
    rounds: 3,
    intervalMs: 1_000,
  }
}

// Imported once, as a CryptoKey: each session signs with it, and a PEM string would be parsed again for each one.
function importPrivateKey(pem: string): Promise<CryptoKey> {
  const der = Buffer.from(pem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64')
  return crypto.subtle.importKey(
    'pkcs8',
    der,
    { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
    false,
    ['sign'],
  )
}

main().catch(exitWithError)
