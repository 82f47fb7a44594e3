/**
 * The policy in force, reloaded when the file changes or on SIGHUP. An invalid new file is
 * reported and ignored: the last good policy stays in force.
 */
import { type FSWatcher, watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Catalog } from '../catalog/index.js';
import type { Store } from '../store/index.js';
import { PolicyEngine } from './engine.js';
import { loadPolicy } from './load.js';
import { formatProblems, type LoadedPolicy, loadPolicyFile } from './policy-loader.js';

export interface ReloadResult {
  readonly ok: boolean;
  readonly version: string;
  readonly changed: boolean;
  readonly problems: string[];
}

/** When the policy in force was loaded, and the last file refused since (the dashboard shows both). */
export interface PolicyState {
  readonly version: string;
  readonly loadedAt: string;
  /** The newest reload that was refused after the policy in force was loaded. */
  readonly rejected: { readonly at: string; readonly problems: readonly string[] } | null;
}

export class PolicyHolder {
  private engine!: PolicyEngine;
  private loadedAt = new Date().toISOString();
  private rejected: PolicyState['rejected'] = null;
  private watcher: FSWatcher | undefined;
  private debounce: NodeJS.Timeout | undefined;

  private constructor(
    private readonly file: string,
    private readonly catalog: Catalog,
    private readonly store: Store,
    private readonly log: (line: string) => void,
  ) {}

  /** Loads the policy; an invalid file at start is an error (there is no last good policy). */
  static async load(
    file: string,
    catalog: Catalog,
    store: Store,
    log: (line: string) => void,
  ): Promise<PolicyHolder> {
    const holder = new PolicyHolder(file, catalog, store, log);
    holder.engine = await loadPolicy(file, catalog);
    await holder.remember(holder.engine.policy);
    return holder;
  }

  get current(): PolicyEngine {
    return this.engine;
  }

  get state(): PolicyState {
    return { version: this.engine.version, loadedAt: this.loadedAt, rejected: this.rejected };
  }

  /** Re-reads the file; keeps the last good policy when the new one is invalid. */
  async reload(): Promise<ReloadResult> {
    const result = await loadPolicyFile(this.file, this.catalog);
    if (!result.ok) {
      const problems = formatProblems(result.problems).split('\n');
      this.log(
        `policy ${this.file} is invalid; keeping version ${this.engine.version}:\n  ${problems.join('\n  ')}`,
      );
      this.rejected = { at: new Date().toISOString(), problems };
      return { ok: false, version: this.engine.version, changed: false, problems };
    }
    const changed = result.policy.version !== this.engine.version;
    if (changed) {
      this.engine = new PolicyEngine(result.policy, this.catalog);
      this.loadedAt = new Date().toISOString();
      await this.remember(result.policy);
      this.log(`policy reloaded: version ${result.policy.version}`);
    }
    this.rejected = null;
    return { ok: true, version: this.engine.version, changed, problems: [] };
  }

  /** Reloads whenever the file changes (editors replace files, so the folder is watched). */
  watch(): void {
    this.watcher = watch(dirname(this.file), (_event, name) => {
      if (name !== basename(this.file)) return;
      clearTimeout(this.debounce);
      this.debounce = setTimeout(() => void this.reload().catch(() => undefined), 150);
    });
  }

  close(): void {
    clearTimeout(this.debounce);
    this.watcher?.close();
  }

  /** Keeps every policy version that decisions were made under. */
  private async remember(policy: LoadedPolicy): Promise<void> {
    await this.store.db
      .insertInto('policy_versions')
      .values({ hash: policy.version, content: policy.text, loaded_at: new Date() })
      .onConflict((oc) => oc.column('hash').doNothing())
      .execute();
  }
}
