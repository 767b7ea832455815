import { setupWorker } from 'msw/browser'
import { afterAll, afterEach, beforeAll } from 'vitest'
import { isContractRequest, type MockNetwork } from './mock-network.js'

/**
 * Starts MSW's service worker for the test file and drops the handlers a test added after it. The test runner's own
 * requests pass; an unhandled request to a contract host fails the test.
 */
export function useBrowserNetwork(): MockNetwork {
  const worker = setupWorker()
  beforeAll(async () => {
    await worker.start({
      quiet: true,
      onUnhandledRequest: (request, print) => {
        if (isContractRequest(request.url)) print.error()
      },
    })
  })
  afterEach(() => worker.resetHandlers())
  afterAll(() => worker.stop())
  return worker
}
