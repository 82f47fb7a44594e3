/**
 * `keygate dashboard`: a one-time sign-in link to the running daemon's dashboard, printed and,
 * where a desktop browser can be opened, opened. `keygate admin rotate-token`: a new admin token,
 * which ends every dashboard session made with the old one.
 */
import { spawn } from 'node:child_process';
import { open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { findDaemon } from '../admin/index.js';
import { homePaths, keygateCommand, resolveHome } from '../config/index.js';
import { KeygateError } from '../errors/index.js';
import { withAdmin } from './admin-session.js';
import type { CommandOutput } from './output.js';

/**
 * The program that opens a file in the desktop's browser, when there is a desktop. The link
 * itself never goes on its command line (any local user could read it there): the program is
 * given a private file in the home that forwards to the link. The file stays (overwritten next
 * time): it sits beside admin.token, which opens far more than a link that works once.
 */
function opener(): string[] | undefined {
  if (process.platform === 'darwin') return ['open'];
  // Not `cmd /c start`: cmd would read characters of the path (`&`) as its own syntax.
  if (process.platform === 'win32') return ['explorer.exe'];
  return process.env.DISPLAY || process.env.WAYLAND_DISPLAY ? ['xdg-open'] : undefined;
}

async function openInBrowser(root: string, url: string): Promise<boolean> {
  const command = opener();
  if (!command) return false;
  const page = join(root, 'dashboard-link.html');
  const handle = await open(page, 'w', 0o600);
  try {
    // The URL is keygate's own (http://host:port/login#code=…): only quotes would need escaping.
    await handle.writeFile(
      `<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="0; url=${url.replaceAll('"', '%22')}"><title>keygate</title>`,
    );
  } finally {
    await handle.close();
  }
  const [program, ...args] = command;
  const child = spawn(program!, [...args, page], { stdio: 'ignore', detached: true });
  child.on('error', () => undefined);
  child.unref();
  return true;
}

export async function dashboardCommand(options: { home?: string; open: boolean }): Promise<CommandOutput> {
  const daemon = await findDaemon(options.home);
  if (!daemon)
    throw new KeygateError(
      'daemon.unavailable',
      `no daemon serves this home: start it (${keygateCommand(options.home)('serve')}), then run this again`,
    );
  const link = await daemon.request<{ url: string; expiresAt: string }>('POST', '/api/dashboard/link');
  const opened = options.open
    ? await openInBrowser(homePaths(resolveHome(options.home)).root, link.url)
    : false;
  return {
    json: { url: link.url, expiresAt: link.expiresAt, opened },
    text: [
      `Sign in to the dashboard with this link (it works once, until ${link.expiresAt}):`,
      `  ${link.url}`,
      opened
        ? 'Opened in your browser.'
        : `The dashboard itself is at ${daemon.url}/ (sign in there with admin.token).`,
    ].join('\n'),
  };
}

export async function adminRotateTokenCommand(options: { home?: string }): Promise<CommandOutput> {
  const paths = homePaths(resolveHome(options.home));
  // The new file is opened before the old token is revoked: a home that cannot take the new token
  // (permissions, a missing folder) keeps the old one working instead of losing both.
  const next = `${paths.adminToken}.new`;
  const handle = await open(next, 'w', 0o600);
  let token: string;
  try {
    ({ token } = await withAdmin(options.home, 'keygate admin rotate-token', (admin) =>
      admin.rotateAdminToken(),
    ));
  } catch (error) {
    await handle.close();
    await rm(next, { force: true });
    throw error;
  }
  try {
    await handle.writeFile(`${token}\n`);
    await handle.sync();
  } catch (error) {
    // The old token is revoked already: the new one is shown once rather than lost.
    await handle.close().catch(() => undefined);
    throw new KeygateError(
      'internal',
      `the admin token was rotated but ${next} could not be written (${error instanceof Error ? error.message : String(error)}); the new admin token is ${token} — put it in ${paths.adminToken} (mode 0600)`,
    );
  }
  await handle.close();
  // Renamed over the old file: a reader sees the old token or the new one.
  await rename(next, paths.adminToken);
  return {
    json: { adminTokenFile: paths.adminToken, rotated: true },
    text: `a new admin token is in ${paths.adminToken}; the old one, and every dashboard session signed in with it, no longer work`,
  };
}
