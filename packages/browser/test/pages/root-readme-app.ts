// One tab running the root README's "One session, many tabs" snippet as it is written there.
import type { TokenSet } from '@tokenflight/core'
import { refresher } from '../root-readme/refresher.js'
import { signInShownAt } from '../root-readme/session.js'

/** What a test drives in each tab of the snippet. */
export interface RootReadmeApp {
  signIn(tokens: TokenSet): Promise<void>
  /** Gets a token and answers a 401 for it, as an adapter would; resolves the token to retry with. */
  afterUnauthorized(): Promise<string>
  accessToken(): string | undefined
  readonly signInShownAt: number[]
}

declare global {
  interface Window {
    rootReadme: RootReadmeApp
  }
}

window.rootReadme = {
  signIn: (tokens) => refresher.setTokens(tokens),
  afterUnauthorized: async () => {
    // The request that got the 401 was sent with the token the refresher gave it.
    const sentWith = await refresher.getAccessToken()
    return refresher.refreshAfterUnauthorized(sentWith)
  },
  accessToken: () => refresher.getTokens()?.accessToken,
  signInShownAt,
}
