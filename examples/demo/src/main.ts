import { setupServer } from 'msw/node'
import { naiveClients } from './naive-clients.js'
import { runScenario, type ScenarioResult, scenario } from './scenario.js'
import { tokenflightClients } from './tokenflight-clients.js'

// `pnpm demo`: the same bursts of concurrent requests, across the same token expiries, through tokenflight's three
// adapters and through a hand-written refresh on 401 for each client, against a simulated provider whose refresh
// tokens are single-use. Exits 1 unless tokenflight made one refresh per expiry and no request failed.

const rows: [label: string, value: (result: ScenarioResult) => number][] = [
  ['requests', (result) => result.requests],
  ['failed requests', (result) => result.failedRequests],
  ['token expiries', (result) => result.expiries],
  ['refreshes', (result) => result.refreshes],
  ['invalid_grant answers', (result) => result.invalidGrants],
  ['401s absorbed', (result) => result.absorbedUnauthorized],
]

function printTable(client: string, tokenflight: ScenarioResult, naive: ScenarioResult): void {
  console.log(
    `${client.padEnd(24)}${'tokenflight'.padStart(14)}${'naive refresh on 401'.padStart(24)}`,
  )
  for (const [label, value] of rows) {
    console.log(
      `  ${label.padEnd(22)}${String(value(tokenflight)).padStart(14)}${String(value(naive)).padStart(24)}`,
    )
  }
  console.log('')
}

const { expiries, burstSize } = scenario
console.log(
  `tokenflight demo: ${expiries} token expiries, each followed by a burst of ${burstSize} concurrent`,
)
console.log('requests, on a simulated OAuth provider whose refresh tokens are single-use.')
console.log('Access tokens live an hour; the simulated clock jumps past every other expiry,')
console.log('and the provider rejects the token early at the others (only a 401 tells).')
console.log('')

const server = setupServer()
server.listen({ onUnhandledRequest: 'error' })
const problems: string[] = []
const startedAt = performance.now()
try {
  for (const client of ['axios', 'ky', 'fetch'] as const) {
    const tokenflight = await runScenario(server, tokenflightClients[client])
    const naive = await runScenario(server, naiveClients[client])
    printTable(client, tokenflight, naive)
    if (tokenflight.refreshes !== tokenflight.expiries) {
      problems.push(
        `${client}: ${tokenflight.refreshes} refreshes for ${tokenflight.expiries} expiries`,
      )
    }
    if (tokenflight.failedRequests > 0) {
      problems.push(`${client}: ${tokenflight.failedRequests} failed requests`)
    }
  }
} finally {
  server.close()
}

console.log(`tokenflight: the ${burstSize} requests of a burst wait for one refresh; none fails.`)
console.log(
  `naive: all ${burstSize} refresh with one single-use token; 1 wins, ${burstSize - 1} get invalid_grant.`,
)
console.log(`(${((performance.now() - startedAt) / 1000).toFixed(1)} s)`)
if (problems.length > 0) {
  console.error(`Unexpected: ${problems.join('; ')}`)
  process.exitCode = 1
}
