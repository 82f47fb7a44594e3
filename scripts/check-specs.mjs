#!/usr/bin/env node
// Regenerates every curated spec from its curation file and the upstream description, and fails
// when a committed specs/*.json differs: the committed files must be exactly what curation makes.
// Then checks each service's app-permission map (specs/<service>.permissions.yaml) against its
// tools: every tool listed, no unknown name, reads asking for read levels only.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';

const services = readdirSync(new URL('../specs/', import.meta.url))
  .filter((file) => file.endsWith('.curation.yaml'))
  .map((file) => file.replace('.curation.yaml', ''));
let failed = 0;
for (const service of services) {
  // Untrusted-content labels: without the block nothing is checked (every string would be third-party).
  const curation = readFileSync(new URL(`../specs/${service}.curation.yaml`, import.meta.url), 'utf8');
  if (!/^response_content:/m.test(curation)) {
    console.error(`specs/${service}.curation.yaml: no response_content block classifies its answers`);
    failed++;
  }
  try {
    execFileSync(process.execPath, ['bin/keygate', 'spec', 'curate', service, '--check'], {
      stdio: 'inherit',
    });
  } catch {
    failed++;
  }
}
const { appPermissions, loadCatalog, permissionMapProblems } = await import('../dist/catalog/index.js');
for (const service of services) {
  if (!existsSync(new URL(`../specs/${service}.permissions.yaml`, import.meta.url))) continue;
  const catalog = await loadCatalog([service]);
  const problems = permissionMapProblems(appPermissions(service), catalog.tools);
  for (const problem of problems) process.stderr.write(`specs/${service}.permissions.yaml: ${problem}\n`);
  if (problems.length > 0) failed++;
  else process.stdout.write(`specs/${service}.permissions.yaml covers all ${catalog.tools.length} tools\n`);
}
// Spend budgets count what a payment moves: every payment tool says where its amount comes from
// (x-keygate.amount), or that it cannot be known ({ unknown: why }), in which case a budgeted
// call of it is refused.
for (const service of services) {
  const doc = JSON.parse(readFileSync(new URL(`../specs/${service}.json`, import.meta.url), 'utf8'));
  for (const operations of Object.values(doc.paths ?? {}))
    for (const operation of Object.values(operations)) {
      const meta = operation?.['x-keygate'];
      if (meta?.risk === 'payment' && meta.amount === undefined) {
        process.stderr.write(`specs/${service}.json: ${meta.tool} is a payment without x-keygate.amount\n`);
        failed++;
      }
    }
}
process.exit(failed === 0 ? 0 : 1);
