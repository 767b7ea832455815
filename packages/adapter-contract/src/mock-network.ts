import type { RequestHandler } from 'msw'

/** What the contract needs of `setupServer()` (Node) or `setupWorker()` (browser), started and reset after each test. */
export interface MockNetwork {
  use(...handlers: RequestHandler[]): void
  resetHandlers(): void
}

/** The hosts the contract's requests go to: anything else is the test runner's own traffic. */
export function isContractRequest(url: string): boolean {
  return new URL(url).hostname.endsWith('.example.test')
}
