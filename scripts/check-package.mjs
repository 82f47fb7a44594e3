// Run by check-package.sh with the packed keygate installed first on PATH and a fresh HOME:
// init, a secret, an agent, `keygate serve` on a free port, and one tool call through
// `keygate stdio` with the MCP SDK's client, against a fake Notion that checks what it gets.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';

const SECRET = `ntn_check_package_${process.pid}`;
const home = join(homedir(), '.keygate');
const keygate = (args, input) =>
  execFileSync('keygate', args, { encoding: 'utf8', input: input ?? '', timeout: 120_000 });
const fail = (message) => {
  throw new Error(`check-package: ${message}`);
};

const installed = realpathSync(execFileSync('sh', ['-c', 'command -v keygate'], { encoding: 'utf8' }).trim());
if (!installed.startsWith(realpathSync(process.env.KEYGATE_CHECK_PREFIX ?? '/nonexistent')))
  fail(`keygate on PATH is ${installed}, not the installed package`);

const fake = createServer((req, res) => {
  const ok =
    req.method === 'GET' &&
    req.url === '/v1/users/me' &&
    req.headers.authorization === `Bearer ${SECRET}` &&
    req.headers['notion-version'] !== undefined;
  res.writeHead(ok ? 200 : 400, { 'content-type': 'application/json' });
  res.end(
    JSON.stringify(ok ? { object: 'user', id: 'u-1', name: 'package check bot' } : { object: 'error' }),
  );
});
await new Promise((resolve) => fake.listen(0, '127.0.0.1', resolve));
const fakeUrl = `http://127.0.0.1:${fake.address().port}`;

let serve;
let client;
try {
  const init = keygate(['init']);
  if (!init.includes(home)) fail(`init did not use ${home}:\n${init}`);
  if (!init.includes('`keygate secret set github`')) fail(`init's hint is not the command on PATH:\n${init}`);
  writeFileSync(
    join(home, 'keygate.yaml'),
    `services:\n  notion: { spec: builtin:notion, credential: notion, base_url: "${fakeUrl}" }\n` +
      'agents:\n  checker:\n    tools: [notion_user_me_get]\n',
  );
  keygate(['secret', 'set', 'notion', '--from-stdin'], SECRET);
  const { token } = JSON.parse(keygate(['agent', 'add', 'checker', '--json']));

  serve = spawn('keygate', ['serve', '--port', '0'], {
    stdio: ['ignore', 'ignore', 'inherit'],
    timeout: 240_000,
  });
  let url;
  for (let i = 0; i < 600 && !url; i++) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    if (serve.exitCode !== null) fail(`keygate serve exited with ${serve.exitCode}`);
    try {
      url = JSON.parse(readFileSync(join(home, 'daemon.json'), 'utf8')).url;
    } catch {}
  }
  if (!url) fail('keygate serve did not write daemon.json');

  const desktop = JSON.parse(
    keygate(['mcp-config', '--client', 'claude-desktop', '--agent', 'checker', '--json']),
  );
  const command = desktop.config.mcpServers['keygate-checker'].command;
  if (realpathSync(command) !== installed)
    fail(`mcp-config's command ${command} is not the installed keygate`);

  client = new Client({ name: 'check-package', version: '1' });
  await client.connect(
    new StdioClientTransport({
      command,
      args: ['stdio'],
      env: { PATH: process.env.PATH, HOME: homedir(), KEYGATE_TOKEN: token },
      stderr: 'inherit',
    }),
  );
  const result = await client.callTool({ name: 'notion_user_me_get', arguments: {} });
  const text = JSON.stringify(result);
  if (result.isError || !text.includes('package check bot')) fail(`the tool call failed: ${text}`);
  if (text.includes(SECRET)) fail('the tool result holds the credential');
  console.log(`check-package: ${installed} ran init, serve and notion_user_me_get through keygate stdio`);
} finally {
  await client?.close().catch(() => undefined);
  if (serve && serve.exitCode === null) {
    const exited = new Promise((resolve) => serve.once('exit', resolve));
    serve.kill('SIGTERM');
    const timer = setTimeout(() => serve.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }
  fake.close();
}
