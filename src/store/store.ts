/** Opens the store: embedded PGlite in the home folder, or PostgreSQL when a URL is given. */
import { chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Kysely, PGliteDialect, PostgresDialect } from 'kysely';
import { KeygateError } from '../errors/index.js';
import { acquireLock } from './home-lock.js';
import { migrateToLatest } from './migrations.js';
import type { Database } from './schema.js';

/** An open, migrated store. */
export interface Store {
  readonly db: Kysely<Database>;
  readonly kind: 'pglite' | 'postgres';
  /** Where the data lives, safe to print (a URL has its password removed). */
  readonly location: string;
  close(): Promise<void>;
  /**
   * Calls `onMessage` with the payload of every NOTIFY on `channel`, from any process sharing
   * this database. PGlite serves one process, so there it hears this process's own NOTIFYs.
   */
  listen(channel: string, onMessage: (payload: string) => void): Promise<() => Promise<void>>;
}

export interface StoreOptions {
  /** The keygate home; PGlite data lives in `<home>/data`. */
  readonly home: string;
  /** `postgres://…`: use PostgreSQL instead of PGlite. */
  readonly databaseUrl?: string;
  /** PostgreSQL schema to use (created if missing); default `public`. */
  readonly schema?: string;
  /** Names this process in the lock file, for the error another process sees. */
  readonly command?: string;
}

/** Opens (creating and migrating as needed) the store described by `options`. */
export async function openStore(options: StoreOptions): Promise<Store> {
  return options.databaseUrl
    ? openPostgres(options.databaseUrl, options.schema)
    : openPglite(options.home, options.command);
}

/**
 * PostgreSQL settings for the embedded database, as `current_setting` shows them. PGlite's
 * defaults size it like a server (`shared_buffers` 128 MB inside the WebAssembly memory, which
 * never shrinks); keygate's data is small and one process uses it, so 8 MB (1,024 pages) is
 * plenty. Measured by `bench/store/pglite-settings.mjs` (bench/README.md): resident memory after
 * 10,000 audit rows falls by 28%, appends are no slower, and an existing data folder opens in
 * 0.3 s instead of 0.8 s. PGlite writes these as the whole `postgresql.conf`, replacing what its
 * initdb wrote there, so the rest are initdb's own values, kept (UTC above all: an audit row's
 * time must not change with a setting nobody chose).
 */
export const PGLITE_SETTINGS: Readonly<Record<string, string>> = {
  shared_buffers: '8MB',
  maintenance_work_mem: '16MB',
  TimeZone: 'UTC',
  log_timezone: 'UTC',
  DateStyle: 'ISO, MDY',
  lc_messages: 'C',
  lc_monetary: 'C',
  lc_numeric: 'C',
  lc_time: 'C',
  default_text_search_config: 'pg_catalog.english',
  dynamic_shared_memory_type: 'posix',
  max_connections: '100',
  max_wal_size: '1GB',
  min_wal_size: '80MB',
};

/** `PGLITE_SETTINGS` as `postgresql.conf` lines (every value quoted: some hold commas or dots). */
export function pgliteConf(settings: Readonly<Record<string, string>> = PGLITE_SETTINGS): string[] {
  return Object.entries(settings).map(([name, value]) => `${name} = '${value.replaceAll("'", "''")}'`);
}

async function openPglite(home: string, command = 'keygate'): Promise<Store> {
  await mkdir(home, { recursive: true, mode: 0o700 });
  const lock = await acquireLock(join(home, 'data.lock'), command);
  try {
    const { PGlite } = await import('@electric-sql/pglite');
    const dataDir = join(home, 'data');
    const pglite = await PGlite.create(dataDir, { postgresqlconf: pgliteConf() }).catch((cause: unknown) => {
      throw new KeygateError('store.unavailable', `cannot open the embedded database in ${dataDir}`, {
        cause,
      });
    });
    await chmod(dataDir, 0o700); // the ciphertexts are safe, the metadata is still nobody else's business
    const db = new Kysely<Database>({ dialect: new PGliteDialect({ pglite }) });
    await migrateToLatest(db as Kysely<unknown>);
    return {
      db,
      kind: 'pglite',
      location: dataDir,
      listen: async (channel, onMessage) => pglite.listen(channel, onMessage),
      close: async () => {
        await db.destroy();
        await lock.release();
      },
    };
  } catch (error) {
    await lock.release();
    throw error;
  }
}

async function openPostgres(url: string, schema?: string): Promise<Store> {
  const { default: pg } = await import('pg');
  if (schema && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new KeygateError('store.unavailable', `invalid PostgreSQL schema name ${schema}`);
  }
  const pool = new pg.Pool({ ...connectionOf(url, schema), max: 10, connectionTimeoutMillis: 5000 });
  const location = safeUrl(url);
  try {
    if (schema) await pool.query(`create schema if not exists ${schema}`);
    else await pool.query('select 1');
  } catch (cause) {
    await pool.end();
    throw new KeygateError('store.unavailable', `cannot reach PostgreSQL at ${location}`, { cause });
  }
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  await migrateToLatest(db as Kysely<unknown>, schema);
  return {
    db,
    kind: 'postgres',
    location,
    close: () => db.destroy(),
    listen: (channel, onMessage) => listenPostgres(pool, channel, onMessage),
  };
}

/**
 * LISTEN on a connection of its own, held for as long as the listener lives. A dropped
 * connection is reopened; callers also poll, so a notification missed meanwhile only costs time.
 */
async function listenPostgres(
  pool: import('pg').Pool,
  channel: string,
  onMessage: (payload: string) => void,
): Promise<() => Promise<void>> {
  if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`invalid channel name ${channel}`);
  let stopped = false;
  let client: import('pg').PoolClient | undefined;
  const connect = async (): Promise<void> => {
    const next = await pool.connect();
    next.on('notification', (message) => {
      if (message.channel === channel) onMessage(message.payload ?? '');
    });
    next.on('error', () => {
      next.release(true);
      if (client === next) client = undefined;
      if (!stopped) setTimeout(() => void connect().catch(() => undefined), 1000).unref();
    });
    await next.query(`listen ${channel}`);
    client = next;
  };
  await connect();
  return async () => {
    stopped = true;
    const held = client;
    client = undefined;
    if (held) {
      await held.query(`unlisten ${channel}`).catch(() => undefined);
      held.release();
    }
  };
}

/**
 * The URL, with the schema as a startup option. An `options` parameter in the URL (say
 * `-c statement_timeout=5000`) would replace ours, and the tables would silently land in the
 * default schema: the two are joined instead.
 */
function connectionOf(url: string, schema?: string): { connectionString: string; options?: string } {
  if (!schema) return { connectionString: url };
  // Only the query string is touched: pg accepts URLs the WHATWG parser does not (a socket
  // directory as `?host=` with an empty host).
  const mark = url.indexOf('?');
  const query = new URLSearchParams(mark === -1 ? '' : url.slice(mark + 1));
  const theirs = query.get('options');
  query.delete('options');
  const rest = query.toString();
  return {
    connectionString: (mark === -1 ? url : url.slice(0, mark)) + (rest ? `?${rest}` : ''),
    options: [theirs, `-c search_path=${schema}`].filter(Boolean).join(' '),
  };
}

/** A database URL without its password, for messages. */
export function safeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'an unparseable DATABASE_URL';
  }
}
