/**
 * Known credential shapes, from secretlint's recommended rule set (GitHub, GitLab, Slack, AWS,
 * GCP, npm, OpenAI, Anthropic, Notion, private keys, basic-auth URLs, database connection
 * strings, …): a maintained, tested set of rules rather than regexes of our own. The rule that
 * honours `secretlint-disable` comments is left out: the text scanned is the agent's, and an
 * agent must not be able to switch the scan off by writing a comment.
 */
import { lintSource } from '@secretlint/core';
import { rules as recommended } from '@secretlint/secretlint-rule-preset-recommend';

const FILTER_COMMENTS = '@secretlint/secretlint-rule-filter-comments';
const RULE_PREFIX = '@secretlint/secretlint-rule-';

const CONFIG: Parameters<typeof lintSource>[0]['options']['config'] = {
  rules: recommended
    .filter((rule) => rule.meta.id !== FILTER_COMMENTS)
    .map((rule) => ({ id: rule.meta.id, rule })),
};

/** One credential shape found: which rule matched (`github/GITHUB_TOKEN`) and where (never what). */
export interface ShapeMatch {
  readonly rule: string;
  /** `[start, end)` in the text searched. */
  readonly range: readonly [number, number];
}

/** The credential shapes in `text`, in order. */
export async function findShapes(text: string): Promise<ShapeMatch[]> {
  if (text.length === 0) return [];
  const result = await lintSource({
    source: { content: text, filePath: '/outbound-request', ext: '', contentType: 'text' },
    // The rules' own messages quote the value (masked or not): only ids and ranges are read.
    options: { config: CONFIG, noPhysicFilePath: true, maskSecrets: true },
  });
  return result.messages
    .map((message) => ({
      rule: `${message.ruleId.replace(RULE_PREFIX, '')}/${message.messageId}`,
      range: [message.range[0], message.range[1]] as const,
    }))
    .sort((a, b) => a.range[0] - b.range[0]);
}

/** The ids of the rules in force, for docs and tests (`github`, `slack`, …). */
export const SHAPE_RULES: readonly string[] = CONFIG.rules.map((rule) => rule.id.replace(RULE_PREFIX, ''));
