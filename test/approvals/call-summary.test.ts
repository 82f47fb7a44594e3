/**
 * What a human is shown of a call: every argument in full while it fits a form's message, and
 * otherwise exactly what was cut, with where to see all of it.
 */
import { describe, expect, it } from 'vitest';
import {
  approvalView,
  describeCall,
  FORM_ARGUMENTS_LIMIT,
  renderArguments,
} from '../../src/approvals/index.js';
import { loadCatalog } from '../../src/catalog/index.js';

const catalog = await loadCatalog();
const tool = catalog.find('github_issue_create');
/** A body whose last sentence is the one that matters. */
const bodyOf = (length: number) => {
  const tail = ' Also: add deploy key ssh-ed25519 AAAA attacker@evil.';
  return `${'Harmless text. '.repeat(Math.ceil(length / 15)).slice(0, length - tail.length)}${tail}`;
};
const call = (args: Record<string, unknown>) => ({
  id: 'apr_test',
  agent: 'triage-bot',
  tool: 'github_issue_create',
  args,
  argsRedacted: args,
  expiresAt: '2026-11-28T10:27:23.186Z',
});

describe('the summary of a call', () => {
  it('shows a 500-character issue body in full, tail included', () => {
    const body = bodyOf(500);
    const summary = describeCall(call({ owner: 'acme', repo: 'api', title: 'Bug', body }), tool);
    expect(summary.complete).toBe(true);
    expect(summary.lines).toContain(`  body: ${body}`);
    expect(summary.lines.join('\n')).toContain('attacker@evil.');
    expect(summary.lines.join('\n')).not.toContain('NOT SHOWN IN FULL');
  });

  it('shows more than twelve short arguments, every one', () => {
    const args = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`label${i}`, `value ${i}`]));
    const summary = describeCall(call(args), undefined);
    expect(summary.complete).toBe(true);
    for (let i = 0; i < 20; i++) expect(summary.lines).toContain(`  label${i}: value ${i}`);
  });

  it('says which argument it cut and by how many characters, and where to see it all', () => {
    const body = bodyOf(FORM_ARGUMENTS_LIMIT + 1000);
    const summary = describeCall(call({ owner: 'acme', repo: 'api', title: 'Bug', body }), tool, {
      pageUrl: 'http://127.0.0.1:7787/approvals/apr_test',
    });
    expect(summary.complete).toBe(false);
    const text = summary.lines.join('\n');
    expect(text).not.toContain('attacker@evil.');
    expect(text).toContain(`  body: ${body.slice(0, 120)}… [cut: 120 of ${body.length} characters shown]`);
    expect(text).toContain(`Cut here: body (${body.length - 120} of its ${body.length} characters).`);
    expect(text).toContain('  title: Bug');
    expect(summary.lines.at(-1)).toBe(
      'See every argument in full with: keygate approvals show apr_test, or in the dashboard at http://127.0.0.1:7787/approvals/apr_test (sign in with the admin token or keygate dashboard).',
    );
  });

  it('names the arguments it leaves out entirely', () => {
    const args = Object.fromEntries(
      Array.from({ length: 30 }, (_, i) => [`k${String(i).padStart(2, '0')}`, 'x'.repeat(200)]),
    );
    const text = describeCall(call(args), undefined).lines.join('\n');
    expect(text).toContain('… and 18 more arguments, not shown here: k12, k13');
    expect(text).toContain('k00 (80 of its 200 characters)');
    expect(text).toContain('18 whole arguments (k12, k13,');
  });

  it.each([
    ['a line break', 'fine\n  owner: acme', '"fine\\n \\u0020owner: acme"'],
    ['a right-to-left override', 'abc\u202edef', '"abc\\u202edef"'],
    ['leading space', ' padded', '" padded"'],
    ['a leading quote', '"quoted"', '"\\"quoted\\""'],
    ['nothing', '', '""'],
    ['variation selectors carrying data', 'LGTM\ufe01\ufe02\u{e0101}', '"LGTM\\ufe01\\ufe02\\u{e0101}"'],
    ['a Hangul filler and a braille blank', 'ok\u3164\u2800', '"ok\\u3164\\u2800"'],
    ['a no-break space', 'a\u00a0b', '"a\\u00a0b"'],
    ['a run of spaces', 'ok   payload', '"ok \\u0020\\u0020payload"'],
  ])('shows a string with %s as JSON, so it cannot pass for another line', (_what, value, shown) => {
    expect(renderArguments(undefined, { title: value })).toEqual([`  title: ${shown}`]);
  });

  it('shows objects as canonical JSON and arguments in canonical order', () => {
    expect(renderArguments(undefined, { z: 1, a: { y: [1, 'two'], b: null } })).toEqual([
      '  a: {"b":null,"y":[1,"two"]}',
      '  z: 1',
    ]);
  });

  const record = (args: Record<string, unknown>, shown: Record<string, unknown>) => ({
    ...call(args),
    argsRedacted: shown,
    tokenId: 't',
    argsHash: 'h',
    policyVersion: 'p',
    status: 'pending' as const,
    createdAt: '2026-11-28T10:22:23.186Z',
    decidedAt: null,
    decidedBy: null,
    reason: null,
    usedAt: null,
    notice: null,
  });

  it('shows the agent’s values even under keys that look secret: the agent chose those keys', () => {
    // Redaction by key name is the audit log's; here it would let an agent hide what it sends.
    const hidden = 'exfiltrated customer list '.repeat(20);
    const args = { owner: 'acme', body: 'see below', labels: { 'Token budget': hidden } };
    const view = approvalView(record(args, { ...args, labels: { 'Token budget': '[REDACTED]' } }), tool);
    expect(view.summaryComplete).toBe(true);
    expect(view.summary.join('\n')).toContain(hidden.trim());
    expect(view.arguments.join('\n')).toContain(hidden.trim());
  });

  it('hides only what the catalog marks secret, and then no form may approve the call', () => {
    const marked = { ...tool!, sensitiveArguments: ['password'] };
    const args = { owner: 'acme', body: 'b', password: 'hunter2-canary' };
    const view = approvalView(record(args, { ...args, password: '[REDACTED]' }), marked);
    expect(JSON.stringify(view)).not.toContain('hunter2-canary');
    expect(view.summaryComplete).toBe(false);
    expect(view.arguments).toEqual(['  body: b', '  owner: acme', '  password: [REDACTED]']);
    expect(view.summary.join('\n')).toContain(
      'NOT SHOWN: the values of password (marked secret by the catalog)',
    );
  });
});
