/**
 * `keygate stdio` is a byte relay: what it loads before it relays is the CLI's entry, config and
 * errors, never the daemon (src/server/ and everything the daemon wires) nor the MCP SDK. Read
 * from the built files (what bin/keygate runs), following static imports only: the HTTP
 * fallback is a dynamic import, loaded only when no socket is reachable.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

const DIST = join(ROOT, 'dist');

/** The modules `file` imports statically (`import … from`, `export … from`, bare `import '…'`). */
function staticImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const match of text.matchAll(/^\s*(?:import|export)\s+(?:[^'"();]*?\sfrom\s+)?['"]([^'"]+)['"]/gm))
    found.push(match[1]!);
  return found;
}

/** Every module reached from `entry` by static imports: built files by path, packages by name. */
function importGraph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    for (const specifier of staticImports(file)) {
      if (specifier.startsWith('.')) queue.push(resolve(dirname(file), specifier));
      else packages.add(specifier);
    }
  }
  return { files, packages };
}

describe('the keygate stdio relay', () => {
  it('imports neither the daemon nor the MCP SDK, statically, from the CLI entry on', () => {
    // What `keygate stdio` loads: the entry and its command table, then the command (lazily).
    const modules = new Set<string>();
    const packages = new Set<string>();
    for (const entry of ['cli/main.js', 'cli/stdio.js']) {
      const file = join(DIST, entry);
      expect(existsSync(file), `${file}: run npm run build`).toBe(true);
      const graph = importGraph(file);
      for (const path of graph.files) modules.add(relative(DIST, path));
      for (const name of graph.packages) packages.add(name);
    }
    expect(modules).toContain('cli/commands.js');
    expect(modules).toContain('cli/daemon-url.js');
    // The bridge's world: the CLI's own files, config and errors.
    for (const module of modules) expect(module).toMatch(/^(cli|config|errors)\//);
    expect(modules).not.toContain('cli/serve.js');
    expect(modules).not.toContain('cli/stdio-http.js');
    expect([...packages].filter((name) => !name.startsWith('node:'))).toEqual([]);
  });

  it('asks /healthz with node:http, not fetch (undici alone would double its memory)', () => {
    const stdio = readFileSync(join(DIST, 'cli/stdio.js'), 'utf8');
    expect(stdio).not.toMatch(/\bfetch\(/);
  });

  it('reaches the SDK only through the HTTP fallback, imported when needed', () => {
    const stdio = readFileSync(join(DIST, 'cli/stdio.js'), 'utf8');
    expect(stdio).toMatch(/await import\(['"]\.\/stdio-http\.js['"]\)/);
    const { packages } = importGraph(join(DIST, 'cli/stdio-http.js'));
    expect([...packages]).toContain('@modelcontextprotocol/client');
  });
});
