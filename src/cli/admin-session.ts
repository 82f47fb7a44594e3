/**
 * The admin operations one CLI command uses: through the daemon when one serves the home (so the
 * command never needs the master key, and PGlite stays with one process), else over the store,
 * opened here and only as far as the command needs.
 */
import {
  type AdminOperations,
  type AdminParts,
  findDaemon,
  LocalAdmin,
  RemoteAdmin,
} from '../admin/index.js';
import { AgentRegistry } from '../agents/index.js';
import { ApprovalBook } from '../approvals/index.js';
import { AuditLog } from '../audit/index.js';
import { BudgetLedger } from '../budgets/index.js';
import { type Catalog, loadCatalog } from '../catalog/index.js';
import { homePaths, resolveHome, VERSION } from '../config/index.js';
import { KeygateError } from '../errors/index.js';
import { loadPolicy, type PolicyEngine } from '../policy/index.js';
import type { Store } from '../store/index.js';
import type { Unsealed } from '../vault/index.js';
import { openHomeStore, unsealHome } from './vault-session.js';

export interface AdminSession {
  readonly admin: AdminOperations;
  /** True when the operations go through a running daemon. */
  readonly remote: boolean;
  close(): Promise<void>;
}

/** Once, the first time it is asked for. */
function lazy<T>(make: () => Promise<T>): { get: () => Promise<T>; made: () => Promise<T> | undefined } {
  let made: Promise<T> | undefined;
  return { get: () => (made ??= make()), made: () => made };
}

/** Opens whichever admin applies to `home`; `command` names the holder of the store lock. */
export async function openAdmin(home: string | undefined, command: string): Promise<AdminSession> {
  const daemon = await findDaemon(home);
  if (daemon) return { admin: new RemoteAdmin(daemon), remote: true, close: async () => {} };
  return openLocalAdmin(home, command);
}

/** The admin operations over this home's store, with no daemon in between. */
export function openLocalAdmin(home: string | undefined, command: string): AdminSession {
  const paths = homePaths(resolveHome(home));
  const store = lazy<Store>(async () => (await openHomeStore({ home, command })).store);
  const audit = lazy(async () => new AuditLog(await store.get()));
  const catalog = lazy<Catalog>(() => loadCatalog());
  const policy = lazy<PolicyEngine>(async () => loadPolicy(paths.policy, await catalog.get()));
  const unsealed = lazy<Unsealed>(async () => unsealHome(await store.get(), paths));
  const parts: AdminParts = {
    agents: async () => new AgentRegistry(await store.get()),
    audit: audit.get,
    approvals: async () => new ApprovalBook(await store.get(), await audit.get()),
    vault: async () => (await unsealed.get()).vault,
    catalog: catalog.get,
    policy: policy.get,
    budgets: async () => new BudgetLedger(await store.get()),
    reloadPolicy: async () => {
      throw new KeygateError(
        'daemon.unavailable',
        `no daemon serves ${paths.root}: the policy is read when keygate serve starts`,
      );
    },
    status: async () => {
      return {
        status: 'ok',
        version: VERSION,
        policyVersion: (await policy.get()).version,
        store: (await store.get()).kind,
        pid: process.pid,
      };
    },
    // No daemon runs, so no session is open.
    onRevoked: async () => {},
  };
  return {
    admin: new LocalAdmin(parts),
    remote: false,
    close: async () => {
      const opened = store.made();
      if (!opened) return;
      // Whatever was opened is closed even when the command failed half way.
      const vault = await unsealed.made()?.catch(() => undefined);
      vault?.vault.forgetCaches();
      await (await audit.made()?.catch(() => undefined))?.drain();
      await (await opened.catch(() => undefined))?.close();
    },
  };
}

/** Runs `work` with the admin operations for `home`, always closing what was opened. */
export async function withAdmin<T>(
  home: string | undefined,
  command: string,
  work: (admin: AdminOperations, remote: boolean) => Promise<T>,
): Promise<T> {
  const session = await openAdmin(home, command);
  try {
    return await work(session.admin, session.remote);
  } finally {
    await session.close();
  }
}
