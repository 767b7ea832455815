// One tab running the root README's "One session, many tabs" snippet as it is written there.
import type { TokenSet } from '@tokenflight/core'
import { refresher } from '../root-readme/refresher.js'
import { signInShownAt } from '../root-readme/session.js'

/** What a test drives in each tab of the snippet. */
export interface RootReadmeApp {
  signIn(tokens: TokenSet): Promise<void>
  /** The token a request would be sent with now. */
  tokenToSend(): Promise<string>
  /** Answers a 401 for a request sent with `sentWith`, as an adapter would; resolves the token to retry with. */
  answerUnauthorized(sentWith: string): Promise<string>
  /** Both in turn: gets a token, and answers a 401 for it. */
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
  tokenToSend: () => refresher.getAccessToken(),
  answerUnauthorized: (sentWith) => refresher.refreshAfterUnauthorized(sentWith),
  afterUnauthorized: async () => {
    // The request that got the 401 was sent with the token the refresher gave it.
    const sentWith = await refresher.getAccessToken()
    return refresher.refreshAfterUnauthorized(sentWith)
  },
  accessToken: () => refresher.getTokens()?.accessToken,
  signInShownAt,
}
