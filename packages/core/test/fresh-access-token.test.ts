import { describe, expect, it } from 'vitest'
import { peekFreshAccessToken } from '../src/fresh-access-token.js'
import { createRefresherPool, createTokenRefresher, memoryTokenStore } from '../src/index.js'

const hourMs = 3_600_000

describe('peekFreshAccessToken, the adapters’ hot path', () => {
  it('reads the token that getAccessToken would hand out at once', () => {
    const refresher = createTokenRefresher({
      refresh: async () => ({ accessToken: 'new' }),
      initialTokens: { accessToken: 'fresh', expiresAt: Date.now() + hourMs },
    })
    expect(peekFreshAccessToken(refresher)).toBe('fresh')
  })

  it('reads nothing, and starts nothing, when a refresh is due or the store is not read yet', async () => {
    let refreshes = 0
    const due = createTokenRefresher({
      refresh: async () => {
        refreshes++
        return { accessToken: 'new', expiresAt: Date.now() + hourMs }
      },
      initialTokens: { accessToken: 'old', expiresAt: Date.now() - 1 },
    })
    expect(peekFreshAccessToken(due)).toBeUndefined()
    expect(refreshes).toBe(0)
    const unread = createTokenRefresher({
      refresh: async () => ({ accessToken: 'new' }),
      store: memoryTokenStore({ accessToken: 'stored', expiresAt: Date.now() + hourMs }),
    })
    expect(peekFreshAccessToken(unread)).toBeUndefined()
    await unread.getAccessToken()
    expect(peekFreshAccessToken(unread)).toBe('stored')
  })

  it('reads nothing once the token was rejected with a 401', async () => {
    const refresher = createTokenRefresher({
      refresh: () => new Promise(() => {}),
      initialTokens: { accessToken: 'rejected', expiresAt: Date.now() + hourMs },
    })
    void refresher.refreshAfterUnauthorized('rejected').catch(() => {})
    expect(peekFreshAccessToken(refresher)).toBeUndefined()
  })

  it('reads nothing from a refresher that is not core’s, which then goes through getAccessToken', () => {
    expect(peekFreshAccessToken({ getAccessToken: async () => 'x' })).toBeUndefined()
  })

  it('reads a pooled session’s token, and nothing once the session was dropped', async () => {
    const sessions = createRefresherPool<string>({
      refresh: async ({ key }) => ({
        accessToken: `new-of-${key}`,
        expiresAt: Date.now() + hourMs,
      }),
      initialTokens: (key) => ({ accessToken: `of-${key}`, expiresAt: Date.now() + hourMs }),
    })
    const refresher = sessions.get('ada')
    expect(peekFreshAccessToken(refresher)).toBe('of-ada')
    await sessions.delete('ada')
    expect(peekFreshAccessToken(refresher)).toBeUndefined()
  })
})
