/** `keygate stdio` starts a daemon when none answers; two clients starting at once share one. */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterAll, describe, expect, it } from 'vitest';
import { keygate, ROOT } from '../helpers/cli.js';

describe('keygate stdio starting the daemon', () => {
  let home: string;
  const clients: Client[] = [];

  afterAll(async () => {
    for (const client of clients) await client.close().catch(() => undefined);
    const info = await readFile(join(home, 'daemon.json'), 'utf8').catch(() => '');
    if (info) process.kill(JSON.parse(info).pid, 'SIGTERM');
  });

  it('starts one daemon for two clients that start at once', async () => {
    home = join(await mkdtemp(join(tmpdir(), 'keygate-autostart-')), 'home');
    await keygate(['init', '--home', home]);
    await writeFile(
      join(home, 'keygate.yaml'),
      'services:\n  github: { spec: builtin:github, credential: github }\nagents:\n  bot:\n    tools: [github_repo_get]\n',
    );
    const { token } = JSON.parse((await keygate(['agent', 'add', 'bot', '--home', home, '--json'])).stdout);
    const stderr: string[] = [];
    const start = async () => {
      const transport = new StdioClientTransport({
        command: join(ROOT, 'bin/keygate'),
        args: ['stdio', '--home', home],
        env: { PATH: process.env.PATH ?? '', KEYGATE_TOKEN: token, KEYGATE_PORT: '0' },
        stderr: 'pipe',
      });
      transport.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
      const client = new Client({ name: 'autostart', version: '1' });
      clients.push(client);
      await client.connect(transport);
      return (await client.listTools()).tools.map((t) => t.name);
    };
    const [a, b] = await Promise.all([start(), start()]);
    expect(a).toEqual(['github_repo_get']);
    expect(b).toEqual(['github_repo_get']);
    expect(stderr.join('')).toContain('started keygate serve');
    const pid = JSON.parse(await readFile(join(home, 'daemon.json'), 'utf8')).pid as number;
    const serving = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' })
      .split('\n')
      .filter((line) => line.includes(`serve --home ${home}`) && !line.includes('ps -eo'));
    expect(serving.map((line) => Number(line.trim().split(/\s+/)[0]))).toEqual([pid]);
  }, 90_000);
});
