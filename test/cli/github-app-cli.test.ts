/** `keygate secret set --kind github-app` and `secret list` for it: the PEM from stdin, metadata only out. */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInProcess, transcript } from '../helpers/cli.js';

const PEM = generateKeyPairSync('rsa', { modulusLength: 2048 })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();
const PEM_LINES = PEM.split('\n').filter((line) => line.length > 20 && !line.startsWith('-----'));

describe('keygate secret set --kind github-app', () => {
  let home: string;
  beforeAll(async () => {
    home = join(await mkdtemp(join(tmpdir(), 'keygate-ghapp-cli-')), 'home');
    expect((await runInProcess(['init', '--home', home])).code).toBe(0);
  });
  afterAll(() => {
    for (const text of transcript) for (const line of PEM_LINES) expect(text).not.toContain(line);
  });

  const set = (flags: string[], input: string) =>
    runInProcess(
      ['secret', 'set', 'gh-app', '--kind', 'github-app', ...flags, '--from-stdin', '--home', home],
      {
        input,
      },
    );

  it('stores the private key from stdin and lists the app and installation ids', async () => {
    const stored = await set(['--app-id', '12345', '--installation-id', '678'], PEM);
    expect(stored).toMatchObject({ code: 0 });
    expect(stored.stdout).toMatch(/^stored secret gh-app \(github-app, fp_[0-9a-f]{16}\)/);
    const list = JSON.parse((await runInProcess(['secret', 'list', '--home', home, '--json'])).stdout);
    expect(list.secrets[0]).toMatchObject({
      name: 'gh-app',
      kind: 'github-app',
      params: { 'app-id': '12345', 'installation-id': '678' },
      minted: [],
    });
    const table = (await runInProcess(['secret', 'list', '--home', home])).stdout;
    expect(table).toContain('app-id=12345,installation-id=678');
    expect(table).toContain('gh-app: no token minted yet in this daemon');
  });

  it.each([
    [['--app-id', '1'], '--installation-id is required for kind github-app'],
    [['--app-id', 'one', '--installation-id', '2'], '--app-id must be a number'],
  ])('refuses %j before reading the key', async (flags, message) => {
    const result = await set(flags, PEM);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(message);
  });

  it('refuses a value that is not an RSA private key, without quoting it', async () => {
    const mangled = PEM.replace('PRIVATE KEY-----\n', 'PRIVATE KEY-----\nAAAA');
    const result = await set(['--app-id', '1', '--installation-id', '2'], mangled);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('the value is not a PEM private key');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });
});
