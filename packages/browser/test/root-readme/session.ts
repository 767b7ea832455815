// Stands in for the app's own module that the root README's snippet imports.

/** When `showSignIn` was called in this tab, in epoch milliseconds. */
export const signInShownAt: number[] = []

export function showSignIn(): void {
  signInShownAt.push(Date.now())
}
