#!/usr/bin/env node
// Catalog benchmark: (1) time to load the three curated specs and build the catalog, against a
// baseline of only reading and parsing the same files, in fresh processes and warm; (2) tools/list
// size per tool, keygate's Notion tools side by side with @notionhq/notion-mcp-server's, both
// read through a real MCP client. Bounded: a fixed number of runs, no network.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Client, InMemoryTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { quantiles, round as roundTo } from '../stats.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const COLD_RUNS = 15;
const WARM_RUNS = 50;

const stats = (samples) => quantiles(samples, 1);
const round = (x) => roundTo(x, 1);

// A fresh process per sample: what `keygate tools` or a starting daemon pays.
const coldScript = (what) => `
  const t0 = performance.now();
  ${
    what === 'build'
      ? `const { loadCatalog } = await import('${root}dist/catalog/index.js'); await loadCatalog();`
      : `const { readFile } = await import('node:fs/promises');
         for (const s of ['github', 'stripe', 'notion']) JSON.parse(await readFile('${root}specs/' + s + '.json', 'utf8'));`
  }
  process.stdout.write(String(performance.now() - t0));`;
const cold = (what) =>
  Array.from({ length: COLD_RUNS }, () =>
    Number(
      execFileSync(process.execPath, ['--input-type=module', '-e', coldScript(what)], { encoding: 'utf8' }),
    ),
  );

const { loadCatalog, loadCuratedSpec } = await import(`${root}dist/catalog/index.js`);
const { catalogFromDocuments } = await import(`${root}dist/catalog/index.js`);
const warmBuild = [];
const warmParse = [];
for (let i = 0; i < WARM_RUNS; i++) {
  let t0 = performance.now();
  const docs = await Promise.all(['github', 'stripe', 'notion'].map((s) => loadCuratedSpec(s)));
  warmParse.push(performance.now() - t0);
  t0 = performance.now();
  catalogFromDocuments(docs);
  warmBuild.push(performance.now() - t0 + warmParse.at(-1));
}

const coldBuild = stats(cold('build'));
const coldParse = stats(cold('parse'));

// tools/list through real clients.
async function listOver(transport, serverSide) {
  const client = new Client({ name: 'bench', version: '1' });
  if (serverSide) await serverSide();
  await client.connect(transport);
  const { tools } = await client.listTools();
  await client.close();
  return tools;
}

const catalog = await loadCatalog();
const { createMcpServer, DISCOVERY_TOOLS } = await import(`${root}dist/mcp/index.js`);
const sizeOf = (tools) => {
  const chars = tools.map((tool) => JSON.stringify(tool).length);
  return {
    tools: tools.length,
    total: chars.reduce((a, b) => a + b, 0),
    perTool: round(chars.reduce((a, b) => a + b, 0) / tools.length),
  };
};
// keygate's own MCP server shows the tools (the form the daemon's tools/list sends); nothing is
// called, so it needs no pipeline behind it.
async function keygateList(filter) {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const tools = catalog.filter(filter).tools;
  const server = createMcpServer({ list: () => tools, call: async () => undefined });
  return listOver(clientSide, () => server.connect(serverSide));
}
const keygateNotion = sizeOf(await keygateList((tool) => tool.service === 'notion'));
const keygateAll = sizeOf(await keygateList(() => true));
// An agent allowed everything, in discovery mode: its tools/list is the three meta-tools, whatever
// the catalog's size (goal ≤ 4,000 characters).
async function discoveryList() {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const server = createMcpServer({ list: () => DISCOVERY_TOOLS, call: async () => undefined });
  return listOver(clientSide, () => server.connect(serverSide));
}
const keygateDiscovery = sizeOf(await discoveryList());
const notionServer = sizeOf(
  await listOver(
    new StdioClientTransport({
      command: process.execPath,
      args: [`${root}node_modules/@notionhq/notion-mcp-server/bin/cli.mjs`],
      env: { PATH: process.env.PATH, NOTION_TOKEN: 'ntn_bench_placeholder' },
      stderr: 'ignore',
    }),
  ),
);

const machine = {
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  date: new Date().toISOString().slice(0, 10),
};
const results = {
  machine,
  load: {
    coldBuildMs: coldBuild,
    coldParseOnlyMs: coldParse,
    warmBuildMs: stats(warmBuild),
    warmParseOnlyMs: stats(warmParse),
    coldRatioBuildToParse: round(coldBuild.median / coldParse.median),
  },
  toolsListChars: {
    keygateAll,
    keygateAllInDiscoveryMode: keygateDiscovery,
    keygateNotion,
    notionMcpServer: notionServer,
    ratioNotionServerToKeygate: round(notionServer.perTool / keygateNotion.perTool),
  },
};
mkdirSync(`${root}bench/results`, { recursive: true });
writeFileSync(`${root}bench/results/catalog.json`, `${JSON.stringify(results, null, 2)}\n`);
console.log(JSON.stringify(results, null, 2));
