import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TokenStore } from '@tokenflight/core'
import {
  createDPoPHandle,
  createRefresherPool,
  createTokenRefresher,
  memoryTokenStore,
} from '@tokenflight/core'
import { withTokenRefresh } from '@tokenflight/fetch'
import {
  clientCredentialsGrant,
  jwtBearerGrant,
  refreshTokenGrant,
  tokenExchangeGrant,
} from '@tokenflight/oauth2'
import { fileTokenStore, signInWithLoopback } from '@tokenflight/oauth2/node'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { approveAs, signInThroughBrowser, tokensOf } from './support/browser-sign-in.js'
import { useSharedClock } from './support/clock.js'
import { clients, useLocalProvider } from './support/oidc-provider.js'
import { useProtectedApi } from './support/protected-api.js'
import { ScriptedBrowser } from './support/scripted-browser.js'

// The README's snippets stand below as they are written there (the first test checks it), and run against
// oidc-provider. The system browser the sign-in opens is the scripted browser, logging in as alice.
const browser = vi.hoisted(() => ({ opened: [] as Promise<unknown>[], open: (_url: string) => {} }))
vi.mock('../src/node/open-system-browser.js', () => ({
  openSystemBrowser: (url: string) => {
    browser.open(url)
    return true
  },
}))

const accessTokenTtlMs = 10_000
const local = useLocalProvider({ accessTokenTtl: accessTokenTtlMs / 1000 })
const api = useProtectedApi(local)
const clock = useSharedClock()

describe('the README', () => {
  it('shows no snippet that this file does not run', async () => {
    const readme = await readFile(join(import.meta.dirname, '../README.md'), 'utf8')
    const source = await readFile(import.meta.filename, 'utf8')
    const snippets = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1] ?? '')
    expect(snippets).toHaveLength(6)
    for (const snippet of snippets) expectSnippetIn(snippet, source)
  })
})

describe('the client credentials snippet', () => {
  it('calls the API with a token it minted', async () => {
    const issuer = local.issuer
    const clientId = clients.service
    const clientSecret = clients.serviceSecret
    const apiUrl = api.url

    const refresher = createTokenRefresher({
      refresh: clientCredentialsGrant({ issuer, clientId, clientSecret, scope: 'api:read' }),
    })
    const response = await fetch(apiUrl, {
      headers: { authorization: `Bearer ${await refresher.getAccessToken()}` },
    })

    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({ subject: clients.service })
  })
})

describe('the JWT bearer snippet', () => {
  it('gets a token for the service account', async () => {
    const tokenEndpoint = `${local.issuer}/token`
    const clientId = clients.rsaSigner
    const privateKeyPem = local.rsaSignerPrivateKeyPem
    const keyId = 'signer-key-1'

    const refresher = createTokenRefresher({
      refresh: jwtBearerGrant({
        tokenEndpoint,
        clientId,
        assertion: { algorithm: 'RS256', key: privateKeyPem, keyId },
      }),
      // A minute before expiry, as service-account guides ask; this is also the default.
      refreshBeforeExpiryMs: 60_000,
    })

    const response = await fetch(api.url, {
      headers: { authorization: `Bearer ${await refresher.getAccessToken()}` },
    })
    expect(await response.json()).toMatchObject({ subject: clients.rsaSigner })
  })
})

describe('the command-line snippet', () => {
  let directory: string
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'tokenflight-readme-'))
    browser.opened = []
    browser.open = (url) => {
      browser.opened.push(approveAs('alice')(new ScriptedBrowser(), url))
    }
  })
  afterEach(() => rm(directory, { recursive: true, force: true }))

  /** One run of the command: the snippet, then the refresher it leaves. */
  async function runCommand(tokenFile: string) {
    const issuer = local.issuer
    const clientId = clients.cli

    const store = fileTokenStore(tokenFile)
    const refresher = createTokenRefresher({
      store,
      refresh: refreshTokenGrant({ issuer, clientId }),
      onSessionExpired: () => console.error('Session expired: run the command again to sign in'),
    })
    if ((await store.get()) === undefined) {
      await refresher.setTokens(
        await signInWithLoopback({ issuer, clientId, scope: 'openid offline_access' }),
      )
    }

    return refresher
  }

  it('signs in on the first run, and refreshes from the saved file after a restart', async () => {
    const tokenFile = join(directory, 'my-cli', 'tokens.json')
    clock.start()
    const first = await runCommand(tokenFile)
    expect(browser.opened).toHaveLength(1)
    await browser.opened[0]
    const signedIn = JSON.parse(await readFile(tokenFile, 'utf8'))
    expect(signedIn).toEqual(first.getTokens())
    expect((await stat(tokenFile)).mode & 0o777).toBe(0o600)

    clock.advance(accessTokenTtlMs + 1_000)
    const second = await runCommand(tokenFile)
    expect(browser.opened).toHaveLength(1)
    const response = await fetch(api.url, {
      headers: { authorization: `Bearer ${await second.getAccessToken()}` },
    })
    expect(await response.json()).toMatchObject({ subject: 'alice' })
    const refreshed = JSON.parse(await readFile(tokenFile, 'utf8'))
    expect(refreshed.refreshToken).not.toBe(signedIn.refreshToken)
    expect(refreshed).toEqual(second.getTokens())
  })
})

describe('the DPoP snippet', () => {
  beforeEach(() => {
    browser.opened = []
    browser.open = (url) => {
      browser.opened.push(approveAs('alice')(new ScriptedBrowser(), url))
    }
  })

  it('signs in with a key, and calls userinfo with DPoP-bound tokens across an expiry', async () => {
    const issuer = local.issuer
    const clientId = clients.dpopCli
    const userinfoUrl = `${local.issuer}/me`
    clock.start()

    // The private key cannot be exported: the tokens are good only together with this key, wherever they leak.
    const keyPair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, [
      'sign',
      'verify',
    ])
    const dpop = createDPoPHandle(keyPair)
    const refresher = createTokenRefresher({
      dpop,
      initialTokens: await signInWithLoopback({
        issuer,
        clientId,
        scope: 'openid offline_access',
        dpop,
      }),
      refresh: refreshTokenGrant({ issuer, clientId }),
    })
    const apiFetch = withTokenRefresh(fetch, refresher)
    const me = await (await apiFetch(userinfoUrl)).json()

    expect(me).toMatchObject({ sub: 'alice' })
    const signedIn = refresher.getTokens()
    expect(signedIn?.tokenType).toBe('DPoP')
    clock.advance(accessTokenTtlMs + 1_000)
    expect(await (await apiFetch(userinfoUrl)).json()).toMatchObject({ sub: 'alice' })
    expect(refresher.getTokens()?.refreshToken).not.toBe(signedIn?.refreshToken)
    // A bearer request with the DPoP-bound token is refused.
    const asBearer = await fetch(userinfoUrl, {
      headers: { authorization: `Bearer ${refresher.getTokens()?.accessToken}` },
    })
    expect(asBearer.status).toBe(401)
  })
})

describe('the token exchange snippet', () => {
  it('calls the API for each user with a token exchanged once per user and audience', async () => {
    const issuer = local.issuer
    const clientId = clients.exchanger
    const clientSecret = clients.exchangerSecret
    const apiUrl = api.url
    const audience = 'billing-api'
    const userTokens = await Promise.all(
      ['alice', 'bob'].map(async (subject) => {
        const minted = await jwtBearerGrant({
          issuer,
          clientId: clients.hmacSigner,
          assertion: { algorithm: 'HS256', key: clients.hmacSignerSecret, subject },
        })({ tokens: undefined, signal: new AbortController().signal })
        return minted.accessToken
      }),
    )

    const [userToken, otherUserToken] = userTokens as [string, string]

    const exchange = tokenExchangeGrant({ issuer, clientId, clientSecret })
    const sessions = createRefresherPool<{ subjectToken: string; audience: string }>({
      refresh: ({ key, signal }) => exchange({ ...key, signal }),
    })

    // For each request: the token the user called this backend with, for the API called on their behalf.
    const token = await sessions.get({ subjectToken: userToken, audience }).getAccessToken()
    const response = await fetch(apiUrl, { headers: { authorization: `Bearer ${token}` } })

    expect(await response.json()).toMatchObject({ subject: 'alice' })
    const otherToken = await sessions
      .get({ subjectToken: otherUserToken, audience })
      .getAccessToken()
    const other = await fetch(apiUrl, { headers: { authorization: `Bearer ${otherToken}` } })
    expect(await other.json()).toMatchObject({ subject: 'bob' })
    expect(await sessions.get({ subjectToken: userToken, audience }).getAccessToken()).toBe(token)
    expect(sessions.size).toBe(2)
  })
})

describe('the narrowing snippet', () => {
  it('refreshes each session with the scope of its key', async () => {
    const issuer = local.issuer
    const clientId = clients.cli
    const keys = [
      { user: 'alice', scope: 'openid' },
      { user: 'alice', scope: 'api:read' },
    ]
    const stores = new Map<string, TokenStore>()
    for (const key of keys) {
      const signIn = await signInThroughBrowser(
        { issuer, clientId, scope: 'openid offline_access api:read' },
        approveAs(key.user),
      )
      stores.set(JSON.stringify(key), memoryTokenStore(tokensOf(signIn)))
    }
    const storeOf = (key: { user: string; scope: string }) =>
      stores.get(JSON.stringify(key)) as TokenStore

    const refreshWith = refreshTokenGrant({ issuer, clientId })
    const viewerSessions = createRefresherPool<{ user: string; scope: string }>({
      store: (key) => storeOf(key),
      refresh: ({ key, ...context }) => refreshWith({ ...context, scope: key.scope }),
    })

    for (const key of keys) {
      expect((await viewerSessions.get(key).refresh()).scope).toBe(key.scope)
    }
  })
})

/**
 * Checks that `source` holds `snippet`: each name a snippet imports is imported from the same module, and its other
 * lines stand in the same order, one after the other (indentation and blank lines aside).
 */
function expectSnippetIn(snippet: string, source: string): void {
  const lines = (text: string) =>
    text
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '')
  const sourceImports = [...source.matchAll(/^import (?:type )?\{([^}]*)\} from '([^']+)'$/gm)]
  const code: string[] = []
  for (const line of lines(snippet)) {
    const imported = /^import \{ (.+) \} from '(.+)'$/.exec(line)
    if (imported === null) {
      code.push(line)
      continue
    }
    const [, names = '', module = ''] = imported
    const importedNames = sourceImports
      .filter((sourceImport) => sourceImport[2] === module)
      .flatMap((sourceImport) => (sourceImport[1] ?? '').split(',').map((name) => name.trim()))
    for (const name of names.split(', ')) {
      expect(importedNames, `${name} from ${module}`).toContain(name)
    }
  }
  const joined = `\n${lines(source).join('\n')}\n`
  expect(joined, snippet).toContain(`\n${code.join('\n')}\n`)
}
