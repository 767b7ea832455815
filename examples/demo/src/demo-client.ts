import type { OAuthSimulator } from '@tokenflight/testing'

/** An HTTP client that authorizes its requests for one user session on a simulated provider. */
export interface DemoClient {
  /** Sends one GET and reads its JSON; rejects if the request failed. */
  get(url: string): Promise<void>
  /** 401s that this client turned into a successful response. */
  absorbedUnauthorized(): number
}

/** Creates a client for a session just signed in to `simulator`. */
export type DemoClientFactory = (simulator: OAuthSimulator) => DemoClient
