/** `keygate spec curate SERVICE [--from FILE] [--check]`: regenerate specs/SERVICE.json. */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { curate, loadCurationFile, readUpstream, validateCurated } from '../catalog/curation/index.js';
import { buildTools, SPECS_DIR } from '../catalog/index.js';
import { upstreamDir } from '../config/index.js';
import type { CommandOutput } from './output.js';

export interface SpecCurateOptions {
  readonly service: string;
  /** Upstream description; default `<upstream dir>/<curation.upstream>`. */
  readonly from?: string;
  /** Compare with the committed file instead of writing it. */
  readonly check?: boolean;
  readonly specsDir?: string;
}

export async function specCurateCommand(options: SpecCurateOptions): Promise<CommandOutput> {
  const specsDir = options.specsDir ?? SPECS_DIR;
  const curation = await loadCurationFile(join(specsDir, `${options.service}.curation.yaml`));
  const upstream = await readUpstream(options.from ?? join(upstreamDir(), curation.upstream));
  const doc = curate(curation, upstream);
  await validateCurated(doc);
  const tools = buildTools(doc); // proves every kept operation becomes a valid tool
  const text = `${JSON.stringify(doc, null, 2)}\n`;
  const target = join(specsDir, `${options.service}.json`);
  const summary = { service: options.service, file: target, tools: tools.length };

  if (options.check) {
    const committed = await readFile(target, 'utf8').catch(() => '');
    const upToDate = committed === text;
    return {
      json: { ...summary, upToDate },
      text: upToDate
        ? `${target} is up to date (${tools.length} tools)`
        : `${target} differs from what \`keygate spec curate ${options.service}\` generates: regenerate and commit it`,
      exitCode: upToDate ? 0 : 1,
    };
  }
  await writeFile(target, text);
  return { json: summary, text: `wrote ${target} (${tools.length} tools)` };
}
