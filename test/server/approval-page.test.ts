/**
 * The approval page in a real browser (Debian's Chromium driven by playwright-core): it shows
 * nothing until the admin token is typed, refuses a wrong one, and approves through /api, after
 * which the agent's identical call runs once. Skipped where Chromium is not installed.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/client';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.js';
import { runInProcess } from '../helpers/cli.js';
import { connectAgent, type DaemonProcess, startDaemonProcess } from '../helpers/daemon-process.js';

const CHROMIUM = '/usr/bin/chromium';
const SECRET = 'ghp_CANARYpage0000000000000000000000000b8';
type Result = { isError?: boolean; structuredContent?: { error: { code: string; approvalId?: string } } };

describe.skipIf(!existsSync(CHROMIUM))(`the approval page in Chromium (skipped: no ${CHROMIUM})`, () => {
  let fake: FakeUpstream;
  let daemon: DaemonProcess;
  let browser: Browser;
  let client: Client;
  let home: string;

  beforeAll(async () => {
    fake = await startFakeUpstream('github', SECRET);
    home = join(await mkdtemp(join(tmpdir(), 'keygate-page-')), 'home');
    await runInProcess(['init', '--home', home]);
    await writeFile(
      join(home, 'keygate.yaml'),
      `services:\n  github: { spec: builtin:github, credential: github, base_url: "${fake.url}" }\ndefaults:\n  approval_wait: 1s\nagents:\n  writer:\n    tools: [github_issue_create]\n    approval: { github_issue_create: out-of-band }\n`,
    );
    await runInProcess(['secret', 'set', 'github', '--home', home], { input: SECRET });
    const { token } = JSON.parse(
      (await runInProcess(['agent', 'add', 'writer', '--json', '--home', home])).stdout,
    );
    daemon = await startDaemonProcess(home);
    client = await connectAgent(daemon.url, token, 'page-test');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await client?.close();
    await daemon?.stop();
    await fake?.close();
  });

  it('shows the call only after the admin token, and approves it', async () => {
    const create = () =>
      client.callTool({
        name: 'github_issue_create',
        arguments: { owner: 'acme', repo: 'api', title: 'Approved in a browser' },
      }) as Promise<unknown> as Promise<Result>;
    const held = await create();
    const id = held.structuredContent!.error.approvalId!;
    const page = await browser.newPage();
    await page.goto(`${daemon.url}/approvals/${id}`);
    expect(await page.textContent('#summary')).toBe('');

    await page.fill('#token', 'kga_not-the-admin-token');
    await page.click('#login button');
    await page.locator('#error', { hasText: /\S/ }).waitFor();
    expect(await page.textContent('#error')).toContain('the token is not the admin token');
    expect(await page.textContent('#summary')).toBe('');

    await page.fill('#token', (await readFile(join(home, 'admin.token'), 'utf8')).trim());
    await page.click('#login button');
    await page.locator('#summary', { hasText: /\S/ }).waitFor();
    expect(await page.textContent('#summary')).toContain('title: Approved in a browser');
    expect(await page.isHidden('#full')).toBe(false);
    expect(await page.textContent('#arguments')).toContain('  title: Approved in a browser');
    expect(await page.textContent('#status')).toBe('Status: pending');
    expect(fake.requests).toEqual([]);

    await page.fill('#reason', 'checked the repository');
    await page.click('#approve');
    await page.locator('#status', { hasText: 'approved' }).waitFor();
    expect(await page.textContent('#status')).toBe('Status: approved (checked the repository)');
    expect(await page.isHidden('#decide')).toBe(true);

    expect((await create()).isError).toBeFalsy();
    expect(fake.requests).toHaveLength(1);
  });
});
