#!/usr/bin/env node
// Regenerates every curated spec from its curation file and the upstream description, and fails
// when a committed specs/*.json differs: the committed files must be exactly what curation makes.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

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
process.exit(failed === 0 ? 0 : 1);
