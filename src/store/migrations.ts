/** Migrations, provided in code so they survive bundling; one set for PGlite and PostgreSQL. */
import { type Kysely, sql } from 'kysely';
import { type Migration, type MigrationProvider, Migrator } from 'kysely/migration';
import { KeygateError } from '../errors/index.js';

const migrations: Record<string, Migration> = {
  '0001_initial': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('vault_meta')
        .addColumn('id', 'integer', (c) => c.primaryKey().check(sql`id = 1`))
        .addColumn('key_id', 'text', (c) => c.notNull())
        .addColumn('key_check', 'bytea', (c) => c.notNull())
        .addColumn('kdf', 'jsonb')
        .addColumn('fingerprint_key', 'bytea', (c) => c.notNull())
        .addColumn('format', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .addColumn('rotated_at', 'timestamptz')
        .execute();
      await db.schema
        .createTable('secrets')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('service', 'text')
        .addColumn('params', 'jsonb', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('format', 'integer', (c) => c.notNull())
        .addColumn('key_id', 'text', (c) => c.notNull())
        .addColumn('wrap_nonce', 'bytea', (c) => c.notNull())
        .addColumn('wrapped_key', 'bytea', (c) => c.notNull())
        .addColumn('wrap_tag', 'bytea', (c) => c.notNull())
        .addColumn('nonce', 'bytea', (c) => c.notNull())
        .addColumn('ciphertext', 'bytea', (c) => c.notNull())
        .addColumn('tag', 'bytea', (c) => c.notNull())
        .addColumn('fingerprint', 'text', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .addColumn('rotated_at', 'timestamptz')
        .addColumn('last_used_at', 'timestamptz')
        .execute();
      await db.schema
        .createTable('agents')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .addColumn('disabled_at', 'timestamptz')
        .execute();
      await db.schema
        .createTable('tokens')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('agent_id', 'text', (c) => c.references('agents.id').onDelete('cascade'))
        .addColumn('hash', 'bytea', (c) => c.notNull().unique())
        .addColumn('tools', 'jsonb')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .addColumn('expires_at', 'timestamptz')
        .addColumn('revoked_at', 'timestamptz')
        .addColumn('last_used_at', 'timestamptz')
        .execute();
      await db.schema
        .createTable('policy_versions')
        .addColumn('hash', 'text', (c) => c.primaryKey())
        .addColumn('content', 'text', (c) => c.notNull())
        .addColumn('loaded_at', 'timestamptz', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('approvals')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('agent', 'text', (c) => c.notNull())
        .addColumn('token_id', 'text', (c) => c.notNull())
        .addColumn('tool', 'text', (c) => c.notNull())
        .addColumn('args_canonical', 'jsonb', (c) => c.notNull())
        .addColumn('args_hash', 'text', (c) => c.notNull())
        .addColumn('args_redacted', 'jsonb', (c) => c.notNull())
        .addColumn('policy_version', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
        .addColumn('decided_at', 'timestamptz')
        .addColumn('decided_by', 'text')
        .addColumn('reason', 'text')
        .addColumn('used_at', 'timestamptz')
        .execute();
      await db.schema
        .createIndex('approvals_status')
        .on('approvals')
        .columns(['status', 'expires_at'])
        .execute();
      await db.schema
        .createTable('audit_events')
        .addColumn('seq', 'bigserial', (c) => c.primaryKey())
        .addColumn('id', 'text', (c) => c.notNull().unique())
        .addColumn('at', 'timestamptz', (c) => c.notNull())
        .addColumn('agent', 'text')
        .addColumn('token_id', 'text')
        .addColumn('tool', 'text')
        .addColumn('route', 'text')
        .addColumn('args_redacted', 'jsonb')
        .addColumn('args_hash', 'text')
        .addColumn('decision', 'text', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addColumn('upstream_status', 'integer')
        .addColumn('latency_ms', 'integer')
        .addColumn('bytes', 'integer')
        .addColumn('approval_id', 'text')
        .addColumn('policy_version', 'text')
        .addColumn('prev_hash', 'text')
        .addColumn('hash', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('audit_events_at').on('audit_events').column('at').execute();
    },
  },
  '0002_rate_limits_and_audit_head': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('rate_limits')
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('window_start', 'bigint', (c) => c.notNull())
        .addColumn('count', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('rate_limits_pk', ['key', 'window_start'])
        .execute();
      // The head of the audit hash chain: locking this row serialises appends across daemons.
      await db.schema
        .createTable('audit_head')
        .addColumn('id', 'integer', (c) => c.primaryKey().check(sql`id = 1`))
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .execute();
      await sql`insert into audit_head (id, seq, hash) values (1, 0, ${'0'.repeat(64)})`.execute(db);
    },
  },
  '0003_one_pending_approval_per_call': {
    async up(db: Kysely<unknown>) {
      // Identical calls (same agent, tool, arguments and policy) share one pending approval, even
      // when they arrive at once on several daemons: the database, not a lock in one process,
      // keeps a second record from being made.
      await sql`create unique index approvals_one_open_per_call on approvals (agent, tool, args_hash, policy_version)
        where status in ('pending', 'approved')`.execute(db);
      await db.schema.createIndex('approvals_agent').on('approvals').columns(['agent', 'status']).execute();
    },
  },
  '0004_audit_append_function': {
    async up(db: Kysely<unknown>) {
      // One audit append as one function call: the chain head moves from the hash the caller saw
      // and the rows go in only if it did (0 rows when another daemon appended first). A function's
      // statements are planned once per connection, which halves the cost of the append every
      // call waits for; the rows arrive as one JSON array with their hashes already computed.
      await sql`create function keygate_audit_append(from_hash text, to_seq bigint, to_hash text, new_rows jsonb)
        returns integer language plpgsql as $$
        declare
          inserted integer;
        begin
          update audit_head set seq = to_seq, hash = to_hash where id = 1 and hash = from_hash;
          if not found then
            return 0;
          end if;
          insert into audit_events (id, at, agent, token_id, tool, route, args_redacted, args_hash, decision,
            reason, upstream_status, latency_ms, bytes, approval_id, policy_version, prev_hash, hash)
          select id, at, agent, token_id, tool, route, args_redacted, args_hash, decision,
            reason, upstream_status, latency_ms, bytes, approval_id, policy_version, prev_hash, hash
          from jsonb_to_recordset(new_rows) as r(id text, at timestamptz, agent text, token_id text, tool text,
            route text, args_redacted jsonb, args_hash text, decision text, reason text, upstream_status integer,
            latency_ms integer, bytes integer, approval_id text, policy_version text, prev_hash text, hash text);
          get diagnostics inserted = row_count;
          return inserted;
        end
        $$`.execute(db);
    },
  },
  '0005_dashboard': {
    async up(db: Kysely<unknown>) {
      // The dashboard's sign-ins: sessions (a browser's cookie) and one-time sign-in links, each
      // stored as the SHA-256 of its secret and bound to the admin token that made it: revoking
      // or rotating that token ends them, whichever daemon sharing the store serves the request.
      await db.schema
        .createTable('dashboard_sessions')
        .addColumn('hash', 'bytea', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('admin_token_id', 'text', (c) => c.notNull().references('tokens.id').onDelete('cascade'))
        .addColumn('csrf', 'text', (c) => c.notNull())
        .addColumn('action_hash', 'bytea')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
        .addColumn('used_at', 'timestamptz')
        .execute();
      // The audit page pages newest first by seq under one filter: each filter gets an index that
      // ends in seq, so a page at a million rows reads only its own rows.
      for (const column of ['agent', 'tool', 'decision'])
        await db.schema
          .createIndex(`audit_events_${column}_seq`)
          .on('audit_events')
          .columns([column, 'seq'])
          .execute();
    },
  },
  '0006_budgets': {
    async up(db: Kysely<unknown>) {
      // Spend budgets' holds: one row per call and budget rule it counts against. A hold is
      // reserved (held), claimed when its call goes upstream (executing), then settled with
      // the amount that moved or released; expired holds no longer count.
      await db.schema
        .createTable('budget_holds')
        .addColumn('hold_id', 'text', (c) => c.notNull())
        .addColumn('rule_key', 'text', (c) => c.notNull())
        .addColumn('agent', 'text', (c) => c.notNull())
        .addColumn('currency', 'text', (c) => c.notNull())
        .addColumn('period_start', 'bigint', (c) => c.notNull())
        .addColumn('amount', 'bigint', (c) => c.notNull())
        .addColumn('settled_amount', 'bigint')
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('call_key', 'text', (c) => c.notNull())
        .addColumn('tool', 'text', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
        .addPrimaryKeyConstraint('budget_holds_pk', ['hold_id', 'rule_key'])
        .execute();
      // The remaining budget is read under its rule's lock, per agent, rule, currency and period.
      await db.schema
        .createIndex('budget_holds_rule')
        .on('budget_holds')
        .columns(['agent', 'rule_key', 'currency', 'period_start'])
        .execute();
      // A call re-entering after its approval finds its open hold.
      await db.schema
        .createIndex('budget_holds_call')
        .on('budget_holds')
        .columns(['call_key', 'state'])
        .execute();
    },
  },
  '0007_oauth2_tokens': {
    async up(db: Kysely<unknown>) {
      // One row per oauth2 secret: the refresh bookkeeping every daemon sharing the store reads
      // under the secret row's lock, so that concurrent calls at expiry make one token request.
      await db.schema
        .createTable('oauth2_tokens')
        .addColumn('secret_id', 'text', (c) => c.primaryKey().references('secrets.id').onDelete('cascade'))
        .addColumn('secret_version', 'integer', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('access_token', 'bytea')
        .addColumn('granted_scope', 'text')
        .addColumn('refreshed_at', 'timestamptz')
        .addColumn('expires_at', 'timestamptz')
        .addColumn('refresh_at', 'timestamptz')
        .addColumn('needs_reauth', 'boolean', (c) => c.notNull().defaultTo(false))
        .addColumn('reason', 'text')
        .execute();
    },
  },
  '0008_audit_credential': {
    async up(db: Kysely<unknown>) {
      // Which kind of credential a call used and what it was narrowed to (a GitHub App token's
      // repositories and permissions), as canonical JSON text: never a value.
      await db.schema.alterTable('audit_events').addColumn('credential', 'text').execute();
      await sql`create or replace function keygate_audit_append(from_hash text, to_seq bigint, to_hash text, new_rows jsonb)
        returns integer language plpgsql as $$
        declare
          inserted integer;
        begin
          update audit_head set seq = to_seq, hash = to_hash where id = 1 and hash = from_hash;
          if not found then
            return 0;
          end if;
          insert into audit_events (id, at, agent, token_id, tool, route, args_redacted, args_hash, decision,
            reason, upstream_status, latency_ms, bytes, approval_id, policy_version, credential, prev_hash, hash)
          select id, at, agent, token_id, tool, route, args_redacted, args_hash, decision,
            reason, upstream_status, latency_ms, bytes, approval_id, policy_version, credential, prev_hash, hash
          from jsonb_to_recordset(new_rows) as r(id text, at timestamptz, agent text, token_id text, tool text,
            route text, args_redacted jsonb, args_hash text, decision text, reason text, upstream_status integer,
            latency_ms integer, bytes integer, approval_id text, policy_version text, credential text,
            prev_hash text, hash text);
          get diagnostics inserted = row_count;
          return inserted;
        end
        $$`.execute(db);
    },
  },
  '0009_approval_notice': {
    async up(db: Kysely<unknown>) {
      // The warning an approver reads first (the secret scan's hit), kept with the record so
      // the dashboard and `keygate approvals` show it too, not only the client that was asked.
      await db.schema.alterTable('approvals').addColumn('notice', 'text').execute();
    },
  },
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

/**
 * Whether `schema` has had every migration, read in one query. Kysely's migrator first inspects
 * the catalog and takes its lock, which is most of a daemon's start on PGlite (over half a
 * second on a cold embedded database); a database that is already current needs none of it. Any
 * doubt (no bookkeeping table yet, an unknown or missing migration) takes the migrator's path.
 */
async function upToDate(db: Kysely<unknown>, schema: string): Promise<boolean> {
  const names = Object.keys(migrations);
  try {
    const applied = await sql<{
      name: string;
    }>`select name from ${sql.table(`${schema}.kysely_migration`)}`.execute(db);
    const done = new Set(applied.rows.map((row) => row.name));
    return done.size === names.length && names.every((name) => done.has(name));
  } catch {
    return false;
  }
}

/**
 * Brings `schema` up to date. Kysely looks for its bookkeeping tables in every schema unless told
 * which one, so another keygate's schema in the same database would pass for this one's: the
 * schema is always named. The migrator reports failures in its result; it does not throw.
 */
export async function migrateToLatest(db: Kysely<unknown>, schema = 'public'): Promise<void> {
  if (await upToDate(db, schema)) return;
  const { error, results } = await new Migrator({
    db,
    provider,
    migrationTableSchema: schema,
  }).migrateToLatest();
  if (error) {
    const failed = results?.find((result) => result.status === 'Error')?.migrationName;
    throw new KeygateError(
      'store.migration_failed',
      failed
        ? `database migration ${failed} failed`
        : // The driver's reason (too many clients, a connect timeout, a permission) is what to act on;
          // PostgreSQL's messages name users and objects, never a password.
          `the database could not be prepared for migrations${error instanceof Error ? `: ${error.message}` : ''}`,
      { cause: error },
    );
  }
}
