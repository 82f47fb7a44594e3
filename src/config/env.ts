/** The one place keygate reads environment variables; everything else receives values from here. */
import { fileURLToPath } from 'node:url';

/** Every environment variable keygate reads, with what it is for (shown in --help and the README). */
export const ENVIRONMENT = {
  KEYGATE_UPSTREAM_DIR:
    'folder of upstream OpenAPI descriptions for `spec curate` (default ../shared/specs-upstream)',
  NO_COLOR: 'disable colour in terminal output',
} as const;

/** The package root: the folder holding package.json, specs/ and bin/. */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Where `spec curate` looks for upstream descriptions. */
export function upstreamDir(env: NodeJS.ProcessEnv = process.env): string {
  return (
    env.KEYGATE_UPSTREAM_DIR || fileURLToPath(new URL('../shared/specs-upstream/', `file://${PACKAGE_ROOT}`))
  );
}
