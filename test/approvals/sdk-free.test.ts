/**
 * Approvals speak no protocol: channels return neutral questions and read neutral answers, and
 * only the MCP layer (src/mcp/approval-questions.ts) knows the SDK's types. A dashboard or a
 * raw-HTTP proxy can then ask a human through the same channels.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../src/approvals/', import.meta.url));

describe('src/approvals', () => {
  it('imports nothing from the MCP SDK', () => {
    const files = readdirSync(ROOT, { recursive: true, encoding: 'utf8' }).filter((name) =>
      name.endsWith('.ts'),
    );
    expect(files.length).toBeGreaterThan(5);
    const importing = files.filter((name) =>
      /from\s+['"]@modelcontextprotocol\/|import\(\s*['"]@modelcontextprotocol\//.test(
        readFileSync(join(ROOT, name), 'utf8'),
      ),
    );
    expect(importing).toEqual([]);
  });
});
