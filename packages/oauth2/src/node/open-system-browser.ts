import { spawn } from 'node:child_process'

/**
 * Asks the desktop to open `url` in the default browser, and never fails: without a desktop or an opener the
 * printed URL is the way in. Returns whether an opener was started.
 */
export function openSystemBrowser(url: string): boolean {
  const opener = systemOpener(url)
  if (opener === undefined) return false
  try {
    const child = spawn(opener.command, opener.args, { stdio: 'ignore', detached: true })
    child.on('error', () => {})
    child.unref()
    return true
  } catch {
    return false
  }
}

function systemOpener(url: string): { command: string; args: string[] } | undefined {
  switch (process.platform) {
    case 'darwin':
      return { command: 'open', args: [url] }
    case 'win32':
      // `start` would need cmd.exe, which splits the URL at every `&`.
      return { command: 'rundll32', args: ['url.dll,FileProtocolHandler', url] }
    default: {
      // Without a display, xdg-open may start a text browser that fights the CLI for the terminal.
      const { DISPLAY, WAYLAND_DISPLAY } = process.env
      if (!DISPLAY && !WAYLAND_DISPLAY) return undefined
      return { command: 'xdg-open', args: [url] }
    }
  }
}
