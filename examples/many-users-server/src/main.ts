import { setTimeout as sleep } from 'node:timers/promises'
import type { RefresherPoolEvent } from '@tokenflight/core'
import { startBackend } from './server.js'
import { createSessions, type SessionKey } from './sessions.js'
import { readSettings, SettingError } from './settings.js'

// Several signed-in users call one backend at once, twice on each of two routes that need different scopes; the
// backend calls an API for each of them through one refresher pool. The API answers with the subject of the token
// it was sent, so the run checks that every answer is for the user who asked.

const rounds = 8
const intervalMs = 250

async function main(): Promise<void> {
  const settings = await readSettings()
  const minted = new Map<string, number>()
  let failedRefreshes = 0
  const sessions = createSessions(settings.serviceAccount, {
    // One count per token minted and one line per failure; no event carries a token.
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
  for (let round = 1; round <= rounds; round++) {
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
    if (round < rounds) await sleep(intervalMs)
  }
  backend.server.close()

  for (const [name, count] of [...minted].sort()) console.log(`tokens minted for ${name}: ${count}`)
  const total = [...minted.values()].reduce((sum, count) => sum + count, 0)
  console.log(
    `${requests} requests, ${failures} failed, ${wrongUser} answered for another user; ${total} tokens minted for ${minted.size} sessions`,
  )
  if (failures > 0 || wrongUser > 0 || failedRefreshes > 0) process.exitCode = 1
}

main().catch((error: unknown) => {
  console.error(`Failed: ${describeError(error)}`)
  process.exitCode = error instanceof SettingError ? 2 : 1
})

/** The error's message and its causes', on one line: never a stack trace, nor a property that may hold a token. */
function describeError(error: unknown): string {
  const messages: string[] = []
  for (
    let cause = error;
    cause !== undefined;
    cause = cause instanceof Error ? cause.cause : undefined
  ) {
    messages.push(cause instanceof Error ? cause.message : String(cause))
  }
  return messages.join(': ')
}
