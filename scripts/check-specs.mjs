#!/usr/bin/env node
// Regenerates every curated spec from its curation file and the upstream description, and fails
// when a committed specs/*.json differs: the committed files must be exactly what curation makes.
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

const services = readdirSync(new URL('../specs/', import.meta.url))
  .filter((file) => file.endsWith('.curation.yaml'))
  .map((file) => file.replace('.curation.yaml', ''));
let failed = 0;
for (const service of services) {
  try {
    execFileSync(process.execPath, ['bin/keygate', 'spec', 'curate', service, '--check'], {
      stdio: 'inherit',
    });
  } catch {
    failed++;
  }
}
process.exit(failed === 0 ? 0 : 1);
