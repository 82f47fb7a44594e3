/**
 * Talking to a running daemon's admin API. When a daemon serves the home, commands go through
 * it (so they never need the master key, and PGlite stays with one process); otherwise they
 * open the store directly.
 */
import { readFile } from 'node:fs/promises';
import { type HomePaths, homePaths, resolveHome } from '../config/index.js';
import { ERROR_CODES, type ErrorCode, KeygateError } from '../errors/index.js';

export interface DaemonClient {
  readonly url: string;
  request<T>(method: string, path: string, body?: unknown): Promise<T>;
}

/**
 * The daemon serving `home`, if one answers; `undefined` when none runs. Only a daemon whose
 * /healthz shows the instance id this home's daemon.json records counts: a stale daemon.json
 * whose address another home's daemon now holds must never receive this home's admin token.
 */
export async function findDaemon(home: string | undefined): Promise<DaemonClient | undefined> {
  const paths: HomePaths = homePaths(resolveHome(home));
  let info: { url?: string; instance?: unknown };
  try {
    info = JSON.parse(await readFile(paths.daemon, 'utf8')) as { url?: string; instance?: unknown };
  } catch {
    return undefined;
  }
  if (!info.url || typeof info.instance !== 'string') return undefined;
  const shown = await fetch(`${info.url}/healthz`, { signal: AbortSignal.timeout(1500) })
    .then(async (response) =>
      response.ok ? ((await response.json()) as { instance?: unknown }).instance : undefined,
    )
    .catch(() => undefined);
  if (shown !== info.instance) return undefined;
  const token = (await readFile(paths.adminToken, 'utf8').catch(() => '')).trim();
  if (!token)
    throw new KeygateError(
      'daemon.unavailable',
      `a daemon runs at ${info.url} but ${paths.adminToken} cannot be read`,
    );
  const url = info.url;
  return {
    url,
    async request<T>(method: string, path: string, body?: unknown): Promise<T> {
      let response: Response;
      try {
        response = await fetch(`${url}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${token}`,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal: AbortSignal.timeout(30_000),
        });
      } catch (cause) {
        throw new KeygateError('daemon.unavailable', `the daemon at ${url} did not answer`, { cause });
      }
      const payload = (await response.json().catch(() => ({}))) as {
        error?: { code?: string; message?: string };
      };
      if (!response.ok) {
        const code = payload.error?.code;
        // A code this version does not know (a newer daemon's) says only that the daemon refused.
        const known: ErrorCode =
          code && Object.hasOwn(ERROR_CODES, code) ? (code as ErrorCode) : 'daemon.unavailable';
        throw new KeygateError(
          known,
          payload.error?.message ?? `the daemon answered HTTP ${response.status}`,
        );
      }
      return payload as T;
    },
  };
}
