/**
 * `keygate secret set --kind aws-sigv4` (and DESIGN.md's alias `--kind aws`) and `secret list` as
 * a user runs them (in-process through the CLI's entry, the store opened offline): the secret
 * access key and the optional session token piped as one JSON object, the access key id as a
 * flag and in the listing, and no part in any output.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInProcess, transcript } from '../helpers/cli.js';

const SECRET_KEY = 'CANARYawsclisecret/K7MDENG+bPxRfiCYzz';
const SESSION = 'CANARYawsclisession0a1b2c3d4e5f6a7b8c9';
const KEY_ID = 'AKIAKEYGATECLI000001';

let home: string;

beforeAll(async () => {
  home = join(await mkdtemp(join(tmpdir(), 'keygate-aws-cli-')), 'home');
  expect((await runInProcess(['init', '--home', home])).code).toBe(0);
});

afterAll(() => {
  for (const text of transcript) {
    expect(text).not.toContain(SECRET_KEY);
    expect(text).not.toContain(SESSION);
  }
});

describe('keygate secret set --kind aws-sigv4', () => {
  it('stores long-lived keys (alias aws) and temporary ones, and lists the access key id only', async () => {
    const long = await runInProcess(
      [
        'secret',
        'set',
        'aws-prod',
        '--kind',
        'aws',
        '--access-key-id',
        KEY_ID,
        '--from-stdin',
        '--home',
        home,
      ],
      { input: `${JSON.stringify({ secret_access_key: SECRET_KEY })}\n` },
    );
    expect(long).toMatchObject({ code: 0 });
    expect(long.stdout).toMatch(/^stored secret aws-prod \(aws-sigv4, fp_[0-9a-f]{16}\)/);
    const temporary = await runInProcess(
      [
        'secret',
        'set',
        'aws-temp',
        '--kind',
        'aws-sigv4',
        '--access-key-id',
        'ASIAKEYGATECLI000002',
        '--home',
        home,
      ],
      { input: JSON.stringify({ secret_access_key: SECRET_KEY, session_token: SESSION }) },
    );
    expect(temporary).toMatchObject({ code: 0 });
    const list = await runInProcess(['secret', 'list', '--home', home, '--json']);
    const secrets = JSON.parse(list.stdout).secrets;
    expect(secrets).toEqual([
      expect.objectContaining({ name: 'aws-prod', kind: 'aws-sigv4', params: { 'access-key-id': KEY_ID } }),
      expect.objectContaining({
        name: 'aws-temp',
        kind: 'aws-sigv4',
        params: { 'access-key-id': 'ASIAKEYGATECLI000002' },
      }),
    ]);
    const table = await runInProcess(['secret', 'list', '--home', home]);
    expect(table.stdout).toMatch(/aws-prod\s+aws-sigv4\s/);
    expect(table.stdout).toContain(`access-key-id=${KEY_ID}`);
  });

  it.each([
    ['secret_access_key is missing', ['--access-key-id', KEY_ID], JSON.stringify({ session_token: SESSION })],
    [
      'region is not a part of this secret',
      ['--access-key-id', KEY_ID],
      JSON.stringify({ secret_access_key: SECRET_KEY, region: 'us-east-1' }),
    ],
    [
      'the value is a JSON object of secret_access_key, session_token',
      ['--access-key-id', KEY_ID],
      SECRET_KEY,
    ],
    [
      '--access-key-id is 3-128',
      ['--access-key-id', 'AKIA/bad,id'],
      JSON.stringify({ secret_access_key: SECRET_KEY }),
    ],
    ['--access-key-id is required for kind aws-sigv4', [], JSON.stringify({ secret_access_key: SECRET_KEY })],
    // The title names the message only: a canary value in a test's name would be test output.
  ])('refuses with "%s" in one line, quoting no part', async (message, flags, input) => {
    const result = await runInProcess(
      ['secret', 'set', 'bad', '--kind', 'aws-sigv4', ...flags, '--from-stdin', '--home', home],
      { input },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(message);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    const list = await runInProcess(['secret', 'list', '--home', home, '--json']);
    expect(JSON.parse(list.stdout).secrets.map((s: { name: string }) => s.name)).not.toContain('bad');
  });
});
