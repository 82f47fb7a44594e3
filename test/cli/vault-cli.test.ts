/**
 * init, secret and vault commands as a user runs them, in-process through the CLI's entry with
 * the environment and stdin a child would get (./bin/keygate itself runs init and a piped
 * `secret set` in test/server/daemon-e2e.test.ts).
 */
import { chmod, mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hashToken } from '../../src/agents/index.js';
import { openStore } from '../../src/store/index.js';
import { MasterKey, readMasterKeyFile, Vault } from '../../src/vault/index.js';
import { startChild } from '../helpers/child.js';
import { ROOT, runInProcess, transcript } from '../helpers/cli.js';

const CANARY = 'ghp_CANARYcli0a1b2c3d4e5f60718293a4b5c6d7';
const CANARY_2 = 'rk_live_CANARYcli2zyxwvutsrqponmlkjihg';

const newHome = async () => join(await mkdtemp(join(tmpdir(), 'keygate-cli-')), 'home');
const mode = async (file: string) => (await stat(file)).mode & 0o777;

async function secretsIn(home: string, key: MasterKey): Promise<Record<string, string[]>> {
  const store = await openStore({ home });
  try {
    const vault = await Vault.unlock(store, key);
    const out: Record<string, string[]> = {};
    for (const meta of await vault.list())
      out[meta.name] = [...(await vault.credential(meta.name)).secretValues()];
    return out;
  } finally {
    await store.close();
  }
}

/** One home for the tests of a file-keyed vault (each `init` creates a database, which takes seconds). */
let shared: string;
async function sharedHome(): Promise<string> {
  if (!shared) {
    shared = await newHome();
    expect((await runInProcess(['init', '--home', shared])).code).toBe(0);
  }
  return shared;
}

afterAll(() => {
  for (const text of transcript) {
    expect(text).not.toContain(CANARY);
    expect(text).not.toContain(CANARY_2);
  }
});

describe('keygate init', () => {
  it('creates the home: master key and admin token 0600, a policy, a private data folder', async () => {
    const home = await newHome();
    const { code, stdout } = await runInProcess(['init', '--home', home, '--json']);
    shared = home; // later tests reuse this home
    expect(code).toBe(0);
    const out = JSON.parse(stdout);
    expect(out).toMatchObject({ home, keySource: 'file', policyCreated: true });
    expect(await mode(home)).toBe(0o700);
    expect(await mode(join(home, 'master.key'))).toBe(0o600);
    expect(await mode(join(home, 'admin.token'))).toBe(0o600);
    expect(await mode(join(home, 'data'))).toBe(0o700);
    expect(await readFile(join(home, 'keygate.yaml'), 'utf8')).toContain('builtin:github');

    const key = (await readMasterKeyFile(join(home, 'master.key')))!;
    expect(out.keyId).toBe(key.id);
    expect(stdout).not.toContain(key.toBase64());
    const token = (await readFile(join(home, 'admin.token'), 'utf8')).trim();
    expect(token).toMatch(/^kga_[A-Za-z0-9_-]{43}$/);
    expect(stdout).not.toContain(token);
    const store = await openStore({ home });
    const rows = await store.db.selectFrom('tokens').selectAll().execute();
    await store.close();
    expect(rows).toHaveLength(1);
    expect(Buffer.from(rows[0]!.hash).equals(hashToken(token))).toBe(true);
  });

  it('refuses to initialise an existing home and changes nothing', async () => {
    const home = await sharedHome();
    const before = await readFile(join(home, 'master.key'), 'utf8');
    const { code, stderr } = await runInProcess(['init', '--home', home]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/already holds a vault.*\[vault\.already_initialized\]/);
    expect(await readFile(join(home, 'master.key'), 'utf8')).toBe(before);
  });
});

describe('keygate secret', () => {
  it('stores values from stdin, lists only metadata, replaces and removes', async () => {
    const home = await sharedHome();
    const set = await runInProcess(['secret', 'set', 'github', '--home', home, '--service', 'github'], {
      input: `${CANARY}\n`,
    });
    expect(set).toMatchObject({ code: 0 });
    expect(set.stdout).toMatch(/^stored secret github \(bearer, fp_[0-9a-f]{16}\)/);
    await runInProcess(['secret', 'set', 'jira', '--kind', 'basic', '--username', 'ada', '--home', home], {
      input: CANARY_2,
    });
    const key = (await readMasterKeyFile(join(home, 'master.key')))!;
    expect((await secretsIn(home, key)).jira).toEqual([
      CANARY_2,
      `ada:${CANARY_2}`,
      Buffer.from(`ada:${CANARY_2}`).toString('base64'),
    ]);

    const list = await runInProcess(['secret', 'list', '--home', home, '--json']);
    const { secrets } = JSON.parse(list.stdout);
    expect(secrets.map((s: { name: string }) => s.name)).toEqual(['github', 'jira']);
    await runInProcess(['secret', 'rm', 'jira', '--home', home]);
    expect(secrets[1]).toMatchObject({ kind: 'basic', params: { username: 'ada' }, version: 1 });
    const table = await runInProcess(['secret', 'list', '--home', home]);
    expect(table.stdout).toMatch(/^NAME\s+KIND\s+SERVICE/);

    expect(await secretsIn(home, key)).toEqual({ github: [CANARY] });

    const replaced = await runInProcess(['secret', 'set', 'github', '--home', home], { input: CANARY_2 });
    expect(replaced.stdout).toContain('replaced (version 2)');
    expect((await runInProcess(['secret', 'rm', 'github', '--home', home])).code).toBe(0);
    const gone = await runInProcess(['secret', 'rm', 'github', '--home', home]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('[vault.secret_not_found]');
  });

  it.each([
    [['--kind', 'header'], '--header is required for kind header'],
    [['--kind', 'carrier-pigeon'], 'unknown secret kind carrier-pigeon'],
    [['--kind', 'bearer', '--username', 'x'], '--username does not apply to kind bearer'],
    [['--kind', 'header', '--header', 'Content-Length'], 'cannot carry a credential'],
  ])('refuses %j before reading the value', async (flags, message) => {
    const home = await sharedHome();
    const result = await runInProcess(['secret', 'set', 'x', ...flags, '--home', home], { input: CANARY });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(message);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('refuses a value with a line break (it could inject a header)', async () => {
    const home = await sharedHome();
    const result = await runInProcess(['secret', 'set', 'x', '--home', home], {
      input: `${CANARY}\nX-Evil: 1`,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('line break');
  });

  it('refuses a wrong master key and writes nothing', async () => {
    const home = await sharedHome();
    await runInProcess(['secret', 'set', 'github', '--home', home], { input: CANARY });
    const before = (await runInProcess(['secret', 'list', '--home', home, '--json'])).stdout;
    const wrong = await runInProcess(['secret', 'set', 'stripe', '--home', home], {
      input: CANARY_2,
      env: { KEYGATE_MASTER_KEY: MasterKey.generate().toBase64() },
    });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('[vault.wrong_master_key]');
    expect((await runInProcess(['secret', 'list', '--home', home, '--json'])).stdout).toBe(before);
  });

  it('refuses a master.key that others can read', async () => {
    const home = await sharedHome();
    await chmod(join(home, 'master.key'), 0o644);
    const result = await runInProcess(['secret', 'list', '--home', home]);
    await chmod(join(home, 'master.key'), 0o600);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('chmod 600');
    expect(result.stderr).toContain('[vault.master_key_permissions]');
  });

  it('tells a second process which process holds the embedded store, and takes over a stale lock', async () => {
    const home = await sharedHome();
    const holder = startChild(process.execPath, [join(ROOT, 'test/fixtures/hold-store.mjs'), home]);
    try {
      await new Promise<void>((resolve, reject) => {
        holder.process.stdout?.once('data', () => resolve());
        void holder.exited.then(() => reject(new Error(`the holder exited: ${holder.stderr()}`)));
      });
      const blocked = await runInProcess(['secret', 'list', '--home', home]);
      expect(blocked.code).toBe(1);
      expect(blocked.stderr).toContain(`in use by process ${holder.pid} (hold-store fixture`);
      expect(blocked.stderr).toContain('[store.locked]');
    } finally {
      await holder.stop('SIGKILL');
    }
    expect((await runInProcess(['secret', 'list', '--home', home])).code).toBe(0);
  });
});

describe('keygate serve and policy check on a broken policy', () => {
  it('refuses to start with an invalid policy, in one line naming the path', async () => {
    const home = await sharedHome();
    const policyFile = join(home, 'keygate.yaml');
    const good = await readFile(policyFile, 'utf8');
    await writeFile(policyFile, `${good.replace('agents: {}', '')}agents:\n  a:\n    tools: [nope_tool]\n`);
    try {
      const serve = await runInProcess(['serve', '--port', '0', '--home', home]);
      expect(serve.code).toBe(1);
      expect(serve.stderr.trim().split('\n')).toHaveLength(1);
      expect(serve.stderr).toMatch(
        /agents\.a\.tools\[0\] \(line \d+\): nope_tool matches no tool .*\[policy\.invalid\]/,
      );
      const check = await runInProcess(['policy', 'check', '--home', home, '--json']);
      expect(check.code).toBe(1);
      expect(JSON.parse(check.stdout).problems[0]).toMatchObject({ path: 'agents.a.tools[0]' });
    } finally {
      await writeFile(policyFile, good);
    }
    expect((await runInProcess(['policy', 'check', '--home', home])).code).toBe(0);
  }, 60_000);

  it('refuses a port that is in use, in one line, and exits', async () => {
    const home = await sharedHome();
    const { createServer } = await import('node:net');
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as { port: number }).port;
    try {
      const serve = await runInProcess(['serve', '--port', String(port), '--home', home]);
      expect(serve.code).toBe(1);
      expect(serve.stderr.trim()).toBe(
        `keygate: cannot listen on 127.0.0.1:${port}: the address is in use (another keygate serve? choose --port) [daemon.unavailable]`,
      );
    } finally {
      holder.close();
    }
  }, 60_000);
});

describe('keygate vault rotate-key', () => {
  it('re-wraps every secret under a new master.key', async () => {
    const home = await sharedHome();
    await runInProcess(['secret', 'set', 'github', '--home', home], { input: CANARY });
    const oldKey = (await readMasterKeyFile(join(home, 'master.key')))!;
    const rotated = await runInProcess(['vault', 'rotate-key', '--home', home, '--json']);
    expect(rotated.code).toBe(0);
    const newKey = (await readMasterKeyFile(join(home, 'master.key')))!;
    expect(JSON.parse(rotated.stdout)).toEqual({
      secrets: 1,
      oldKeyId: oldKey.id,
      newKeyId: newKey.id,
      source: 'file',
    });
    expect(await mode(join(home, 'master.key'))).toBe(0o600);
    expect((await readdir(home)).sort()).toEqual(
      ['admin.token', 'data', 'data.lock', 'keygate.yaml', 'master.key'].filter((f) => f !== 'data.lock'),
    );
    expect(await secretsIn(home, newKey)).toEqual({ github: [CANARY] });
  });

  it('with KEYGATE_MASTER_KEY: takes the new key on stdin, and only the new key opens the vault after', async () => {
    const home = await newHome();
    const oldKey = MasterKey.generate();
    const newKey = MasterKey.generate();
    const env = { KEYGATE_MASTER_KEY: oldKey.toBase64() };
    const init = await runInProcess(['init', '--home', home, '--json'], { env });
    expect(JSON.parse(init.stdout)).toMatchObject({ keySource: 'environment', keyId: oldKey.id });
    expect((await readdir(home)).includes('master.key')).toBe(false);
    await runInProcess(['secret', 'set', 'github', '--home', home], { env, input: CANARY });
    const usage = await runInProcess(['vault', 'rotate-key', '--home', home], { env });
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--from-stdin');
    const rotated = await runInProcess(['vault', 'rotate-key', '--from-stdin', '--home', home], {
      env,
      input: newKey.toBase64(),
    });
    expect(rotated.code).toBe(0);
    expect((await runInProcess(['secret', 'list', '--home', home], { env })).stderr).toContain(
      '[vault.wrong_master_key]',
    );
    expect(
      (
        await runInProcess(['secret', 'list', '--home', home], {
          env: { KEYGATE_MASTER_KEY: newKey.toBase64() },
        })
      ).code,
    ).toBe(0);
  });

  it('with a passphrase: derives the key, refuses a wrong passphrase, rotates to a new one', async () => {
    const home = await newHome();
    const init = await runInProcess(['init', '--passphrase', '--from-stdin', '--home', home, '--json'], {
      input: 'first passphrase 1\n',
    });
    expect(JSON.parse(init.stdout)).toMatchObject({ keySource: 'passphrase' });
    const env = { KEYGATE_PASSPHRASE: 'first passphrase 1' };
    await runInProcess(['secret', 'set', 'github', '--home', home], { env, input: CANARY });
    const wrong = await runInProcess(['secret', 'list', '--home', home], {
      env: { KEYGATE_PASSPHRASE: 'second guess' },
    });
    expect(wrong.stderr).toContain('KEYGATE_PASSPHRASE does not open this vault [vault.wrong_passphrase]');
    const rotated = await runInProcess(['vault', 'rotate-key', '--from-stdin', '--home', home], {
      env,
      input: 'second passphrase 2',
    });
    expect(rotated.code).toBe(0);
    expect((await runInProcess(['secret', 'list', '--home', home], { env })).code).toBe(1);
    const after = await runInProcess(['secret', 'list', '--home', home, '--json'], {
      env: { KEYGATE_PASSPHRASE: 'second passphrase 2' },
    });
    expect(JSON.parse(after.stdout).secrets).toHaveLength(1);
  }, 120_000); // seven commands, each deriving a scrypt key: most of a minute on a busy machine
});
