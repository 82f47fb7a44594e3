/** Where a home's daemon listens, as the CLI should address it. */
import { readFile } from 'node:fs/promises';
import { DEFAULT_PORT, envValue, homePaths } from '../config/index.js';
import { KeygateError } from '../errors/index.js';

/** Where the URL came from (`default` with no URL: KEYGATE_PORT=0 and no daemon runs): a flag or KEYGATE_URL is explicit; the others are guesses. */
export type DaemonUrlSource = 'flag' | 'environment' | 'daemon.json' | 'default';

/**
 * The daemon's base URL (no trailing `/mcp`): `--url`, else `--port` on loopback, else
 * KEYGATE_URL, else the URL the home's running daemon wrote to daemon.json, else KEYGATE_PORT,
 * else 7787 — on KEYGATE_HOST when that names one address, else 127.0.0.1.
 */
export async function daemonUrl(
  home: string,
  flags: { url?: string | undefined; port?: string | undefined } = {},
): Promise<{ url: string | undefined; source: DaemonUrlSource }> {
  if (flags.url) return { url: normalise(flags.url, '--url'), source: 'flag' };
  if (flags.port) return { url: loopback(flags.port, '--port'), source: 'flag' };
  const fromEnv = envValue('KEYGATE_URL');
  if (fromEnv) return { url: normalise(fromEnv, 'KEYGATE_URL'), source: 'environment' };
  const fromFile = await readFile(homePaths(home).daemon, 'utf8')
    .then((text) => (JSON.parse(text) as { url?: unknown }).url)
    .catch(() => undefined);
  if (typeof fromFile === 'string' && fromFile)
    return { url: normalise(fromFile, 'daemon.json'), source: 'daemon.json' };
  const port = envValue('KEYGATE_PORT');
  // Port 0 lets the daemon pick one when it starts: nothing can be said before it runs.
  if (port === '0') return { url: undefined, source: 'default' };
  return { url: loopback(port ?? String(DEFAULT_PORT), 'KEYGATE_PORT'), source: 'default' };
}

function loopback(port: string, what: string): string {
  const n = Number(port);
  if (!/^\d+$/.test(port) || n < 1 || n > 65535)
    throw new KeygateError('cli.usage', `${what} must be a port number 1-65535, got ${port}`);
  const host = envValue('KEYGATE_HOST');
  const named = host && !['0.0.0.0', '::', '[::]'].includes(host) ? host : '127.0.0.1';
  return `http://${named.includes(':') && !named.startsWith('[') ? `[${named}]` : named}:${n}`;
}

function normalise(url: string, what: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new KeygateError('cli.usage', `${what} is not a URL: ${url}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new KeygateError('cli.usage', `${what} must be an http(s) URL, got ${url}`);
  return url.replace(/\/+$/, '').replace(/\/mcp$/, '');
}
