#!/usr/bin/env node
// Dashboard benchmark, in one process against the real gateway on PGlite (as `keygate serve`
// builds it, behind its own router on 127.0.0.1):
// (1) the audit page over HTTP with a session, at 10k, 100k and 1M audit rows: the first page,
//     each filter, and a page deep in the chain by cursor; baselines in the same run: GET
//     /healthz (the HTTP floor) and the page's own query straight on the store;
// (2) an approval from the moment an agent's call asks for it to the moment an open dashboard
//     has it on screen (its live stream's event plus the list fetched again), and from a
//     decision in the dashboard to the agent's waiting call returning.
// Bounded: fixed sample counts, every server on 127.0.0.1, the store in a temporary folder.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { sql } from 'kysely';
import { round } from '../stats.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const { openStore } = await import(`${root}dist/store/index.js`);
const { MasterKey, Vault } = await import(`${root}dist/vault/index.js`);
const { createAdminToken } = await import(`${root}dist/agents/index.js`);
const { loadCatalog } = await import(`${root}dist/catalog/index.js`);
const { buildGateway } = await import(`${root}dist/server/index.js`);
const { bearerCredential, staticCredentialProvider } = await import(`${root}dist/executor/index.js`);

// KEYGATE_BENCH_SIZES=10000 runs a quick check of the benchmark itself.
const SIZES = process.env.KEYGATE_BENCH_SIZES?.split(',').map(Number) ?? [10_000, 100_000, 1_000_000];
const PAGE_RUNS = 40;
const APPROVAL_RUNS = 20;

/** Median and p95 of `samples` (ms). */
function stats(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { median: round(at(0.5), 1), p95: round(at(0.95), 1), max: round(sorted.at(-1), 1) };
}

async function time(fn, runs) {
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
  }
  return stats(samples);
}

// A fake Stripe that accepts every refund (the approval flow's call runs against it).
const upstream = createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"id":"re_1"}'));
});
await new Promise((resolve) => upstream.listen(0, '127.0.0.1', resolve));
const stripeUrl = `http://127.0.0.1:${upstream.address().port}`;

const home = await mkdtemp(join(tmpdir(), 'keygate-bench-dashboard-'));
const store = await openStore({ home });
const key = MasterKey.generate();
await Vault.initialize(store, key);
const vault = await Vault.unlock(store, key);
const adminToken = await createAdminToken(store);
const catalog = await loadCatalog();
let base = '';
const policy = `services:
  stripe: { spec: builtin:stripe, credential: stripe }
agents:
  bench-bot:
    tools: [stripe_refund_create]
    approval: { stripe_refund_create: out-of-band }
`;
const { writeFile } = await import('node:fs/promises');
await writeFile(join(home, 'keygate.yaml'), policy);
const gateway = await buildGateway({
  store,
  vault,
  catalog,
  policy: join(home, 'keygate.yaml'),
  log: () => {},
  host: '127.0.0.1',
  publicUrl: () => base,
  credentials: staticCredentialProvider({ stripe: bearerCredential('stripe', 'sk_test_bench') }),
  baseUrls: () => stripeUrl,
  silentWaitMs: 60_000,
});
const server = createServer((req, res) => gateway.handle(req, res));
// Seeding a million rows takes longer than Node's 5 s keep-alive: fetch would then reuse a
// connection the server is closing (ECONNRESET), which is not what is measured here.
server.keepAliveTimeout = 600_000;
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
base = `http://127.0.0.1:${server.address().port}`;
const signedIn = await gateway.dashboard.sessions.signIn(adminToken);
const cookie = `keygate_session=${signedIn.cookie}`;
const get = async (path) => {
  const response = await fetch(`${base}${path}`, { headers: { cookie, accept: 'text/html' } });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`${path}: ${response.status} ${text.slice(0, 200)}`);
  return text;
};

/** Audit rows as a busy deployment writes them: 20 agents, 300 tools, the usual decisions. */
async function seedTo(total) {
  const have = Number((await sql`select count(*) as n from audit_events`.execute(store.db)).rows[0].n);
  const add = total - have;
  if (add <= 0) return;
  const t0 = performance.now();
  // Bulk rows with placeholder hashes: page loads read them, nothing here verifies the chain.
  await sql`insert into audit_events (id, at, agent, token_id, tool, decision, reason, upstream_status, latency_ms, args_redacted, args_hash, hash, prev_hash, policy_version)
    select gen_random_uuid()::text,
      now() - make_interval(secs => (${total}::int - g) * 2),
      'agent-' || (g % 20),
      'tok-' || (g % 20),
      (array['github','stripe','notion'])[1 + g % 3] || '_tool_' || (g % 100),
      (array['allowed','completed','completed','allowed','denied','approval_pending','approval_approved','failed','rate_limited','completed'])[1 + g % 10],
      case when g % 10 = 4 then 'not among the tools this agent may call' end,
      case when g % 10 in (1, 2, 9) then 200 end,
      case when g % 10 in (1, 2, 7, 9) then 40 + g % 400 end,
      jsonb_build_object('owner', 'acme', 'repo', 'api', 'n', g),
      md5(g::text), md5(g::text) || md5(g::text), md5((g - 1)::text) || md5((g - 1)::text), 'bench'
    from generate_series(${have + 1}::int, ${total}::int) as g`.execute(store.db);
  await sql`analyze audit_events`.execute(store.db);
  return performance.now() - t0;
}

const pages = [];
for (const size of SIZES) {
  const seededMs = await seedTo(size);
  const deep = Math.floor(size / 2);
  const cases = {
    'first page': '/audit',
    'filter: agent': '/audit?agent=agent-7',
    'filter: tool': '/audit?tool=stripe_tool_41',
    'filter: decision (10% of rows)': '/audit?decision=denied',
    'filter: rare decision (0 rows)': '/audit?decision=approval_expired',
    'filter: last hour': `/audit?from=${new Date(Date.now() - 3_600_000).toISOString().slice(0, 16)}`,
    'filter: agent and a rare decision': '/audit?agent=agent-7&decision=approval_expired',
    'filter: until 10 days ago': `/audit?to=${new Date(Date.now() - 10 * 86_400_000).toISOString().slice(0, 16)}`,
    'page at the middle (cursor)': `/audit?before=${deep}`,
  };
  const row = { size, seededS: seededMs ? round(seededMs / 1000, 1) : 0, results: {} };
  row.results['GET /healthz (HTTP floor)'] = await time(
    () => fetch(`${base}/healthz`).then((r) => r.text()),
    PAGE_RUNS,
  );
  row.results['the first page query on the store'] = await time(
    () => gateway.audit.page({ limit: 50 }),
    PAGE_RUNS,
  );
  for (const [name, path] of Object.entries(cases)) {
    await get(path); // warm
    row.results[name] = await time(() => get(path), PAGE_RUNS);
  }
  pages.push(row);
  console.log(`\n${size.toLocaleString('en-US')} rows (seeded in ${row.seededS} s):`);
  for (const [name, s] of Object.entries(row.results))
    console.log(`  ${name.padEnd(36)} median ${s.median} ms, p95 ${s.p95} ms, max ${s.max} ms`);
}

// (2) Approvals: asked → on screen, decided → the call returns.
const agentToken = (await gateway.admin.addAgent('bench-bot')).token;
const client = new Client({ name: 'bench', version: '1' });
await client.connect(
  new StreamableHTTPClientTransport(new URL(`${base}/mcp`), {
    requestInit: { headers: { authorization: `Bearer ${agentToken}` } },
  }),
);
const events = await fetch(`${base}/events`, { headers: { cookie } });
const reader = events.body.getReader();
const decoder = new TextDecoder();
let buffer = '';
async function nextApprovalEvent() {
  for (;;) {
    const at = buffer.indexOf('event: approvals');
    if (at >= 0) {
      buffer = buffer.slice(buffer.indexOf('\n\n', at) + 2);
      return;
    }
    const { value } = await reader.read();
    buffer += decoder.decode(value);
  }
}
const shown = [];
const resumed = [];
for (let i = 0; i < APPROVAL_RUNS; i++) {
  buffer = '';
  const charge = `ch_bench${i}`;
  const t0 = performance.now();
  const call = client.callTool({ name: 'stripe_refund_create', arguments: { charge } });
  // Events for other approvals' changes may come first: wait until the list shows this one.
  let html = '';
  while (!html.includes(charge)) {
    await nextApprovalEvent();
    html = await get('/fragments/approvals');
  }
  shown.push(performance.now() - t0);
  const pending = (await gateway.approvals.book.list()).find((a) => a.args.charge === charge);
  const t1 = performance.now();
  const decided = await fetch(`${base}/approvals/${pending.id}/decide`, {
    method: 'POST',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: `verdict=approve&csrf=${signedIn.session.csrf}&action_key=${signedIn.actionKey}`,
    redirect: 'manual',
  });
  if (decided.status !== 303) throw new Error(`decide: ${decided.status}`);
  const result = await call;
  resumed.push(performance.now() - t1);
  if (result.isError) throw new Error(`the approved call failed: ${JSON.stringify(result.content)}`);
}
await reader.cancel();
const approvals = { shown: stats(shown), resumed: stats(resumed) };
console.log('\napprovals:');
console.log(
  `  asked → on an open dashboard   median ${approvals.shown.median} ms, p95 ${approvals.shown.p95} ms`,
);
console.log(
  `  decided → the call returns     median ${approvals.resumed.median} ms, p95 ${approvals.resumed.p95} ms`,
);

await client.close();
await gateway.close(async () => server.closeAllConnections());
server.close();
upstream.close();
await store.close();
await rm(home, { recursive: true, force: true });

const machine = `${cpus().length}× ${cpus()[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
console.log(`\n${machine}`);
console.log(JSON.stringify({ machine, pages, approvals }));
// Everything is closed above; what may still hold the event loop (pooled client connections
// waiting out their keep-alive) measures nothing.
process.exit(0);
