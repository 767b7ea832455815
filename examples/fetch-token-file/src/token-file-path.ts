import { mkdtempSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { optionalSetting } from '@tokenflight/example-support'

/**
 * Where the session is kept: `TOKEN_FILE`, or by default a fresh temporary file for the simulated provider (whose
 * sessions end with the run) and `~/.config/tokenflight-example/tokens.json` for a real one.
 */
export function tokenFilePath(simulated: boolean): string {
  const configured = optionalSetting('TOKEN_FILE')
  if (configured !== undefined) return resolve(configured)
  return simulated
    ? join(mkdtempSync(join(tmpdir(), 'tokenflight-example-')), 'tokens.json')
    : join(homedir(), '.config', 'tokenflight-example', 'tokens.json')
}
