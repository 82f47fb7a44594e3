/**
 * `keygate secret set --kind oauth2` and `secret list` as a user runs them (in-process through
 * the CLI's entry, the store opened offline): the parts piped as one JSON object, the non-secret
 * parameters as flags and in the listing, and no part in any output.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInProcess, transcript } from '../helpers/cli.js';

const CLIENT_SECRET = 'cs_CANARYoauth2cli0a1b2c3d4e5f6a7b8c9';
const REFRESH = 'rt_CANARYoauth2cli9f8e7d6c5b4a3f2e1d0';
const PARTS = JSON.stringify({ client_secret: CLIENT_SECRET, refresh_token: REFRESH });
const FLAGS = [
  '--kind',
  'oauth2',
  '--token-url',
  'https://login.crm.example/oauth/token',
  '--client-id',
  'c-42',
];

let home: string;

beforeAll(async () => {
  home = join(await mkdtemp(join(tmpdir(), 'keygate-oauth2-cli-')), 'home');
  expect((await runInProcess(['init', '--home', home])).code).toBe(0);
});

afterAll(() => {
  for (const text of transcript) {
    expect(text).not.toContain(CLIENT_SECRET);
    expect(text).not.toContain(REFRESH);
  }
});

describe('keygate secret set --kind oauth2', () => {
  it('stores the parts piped as JSON and lists the parameters and the token state', async () => {
    const set = await runInProcess(
      [
        'secret',
        'set',
        'crm',
        ...FLAGS,
        '--scope',
        'contacts.read deals.read',
        '--from-stdin',
        '--home',
        home,
      ],
      { input: `${PARTS}\n` },
    );
    expect(set).toMatchObject({ code: 0 });
    expect(set.stdout).toMatch(/^stored secret crm \(oauth2, fp_[0-9a-f]{16}\)/);
    const list = await runInProcess(['secret', 'list', '--home', home, '--json']);
    const [crm] = JSON.parse(list.stdout).secrets;
    expect(crm).toMatchObject({
      kind: 'oauth2',
      params: {
        'token-url': 'https://login.crm.example/oauth/token',
        'client-id': 'c-42',
        scope: 'contacts.read deals.read',
      },
      oauth2: { needsReauth: false, expiresAt: null, refreshedAt: null },
    });
    const table = await runInProcess(['secret', 'list', '--home', home]);
    expect(table.stdout).toMatch(/\bTOKEN\n/);
    expect(table.stdout).toMatch(/crm\s+oauth2\s.*none yet/);
  });

  it.each([
    [[], JSON.stringify({ client_secret: CLIENT_SECRET }), 'refresh_token is missing'],
    [['--grant', 'client_credentials'], PARTS, 'refresh_token is not a part of this secret'],
    [['--token-url', 'http://login.crm.example/token'], PARTS, 'must be https'],
    [['--grant', 'implicit'], PARTS, '--grant is refresh_token or client_credentials'],
  ])('refuses %j in one line, quoting no part', async (flags, input, message) => {
    const result = await runInProcess(
      ['secret', 'set', 'bad', ...FLAGS, ...flags, '--from-stdin', '--home', home],
      {
        input,
      },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(message);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('refuses a missing --client-id before reading anything', async () => {
    const result = await runInProcess(
      ['secret', 'set', 'bad', '--kind', 'oauth2', '--token-url', 'https://idp.example/t', '--home', home],
      { input: PARTS },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('--client-id is required for kind oauth2');
  });
});
