/**
 * zod's issues, said the way a person editing keygate.yaml needs them: what was expected and
 * what was found ("max must be a number, got string \"x\""), one problem per unknown key at that
 * key's own path, and a union's failure told from the branch the value was meant for.
 */
import type { z } from 'zod';

export type IssuePath = (string | number)[];

/** One schema problem: where (a path into the file) and what. */
export interface SchemaProblem {
  readonly path: IssuePath;
  readonly message: string;
}

type Issue = z.core.$ZodIssue;

/** Every problem `issues` name (from a parse with `reportInput: true`), in the order zod found them. */
export function schemaProblems(issues: readonly Issue[], base: IssuePath = []): SchemaProblem[] {
  return issues.flatMap((issue) => problemsOf(issue, [...base, ...(issue.path as IssuePath)]));
}

function problemsOf(issue: Issue, path: IssuePath): SchemaProblem[] {
  const name = nameOf(path);
  const input = (issue as { input?: unknown }).input;
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => ({
        path: [...path, key],
        message: `unknown key ${key}${path.length > 0 ? ` in ${nameOf(path)}` : ''}`,
      }));
    case 'invalid_union':
      return unionProblems(issue.errors as Issue[][], path, name, input);
    case 'invalid_type':
      return [
        {
          path,
          message:
            input === undefined
              ? `${name} is required`
              : `${name} must be ${article(issue.expected)}, got ${got(input)}`,
        },
      ];
    case 'invalid_value':
      return [
        {
          path,
          message: `${name} must be ${issue.values.length === 1 ? '' : 'one of '}${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${got(input)}`,
        },
      ];
    case 'too_small':
    case 'too_big':
      return [
        { path, message: `${name} ${boundPhrase(issue)}${isPrimitive(input) ? `, got ${got(input)}` : ''}` },
      ];
    case 'invalid_key': {
      // A record key (an agent, service or tool-pattern name) that fails its own rule.
      const reason = issue.issues[0]?.message ?? 'is not allowed';
      return [{ path, message: `${JSON.stringify(input)} is not ${reason}` }];
    }
    default:
      // Our own messages (regex and refine rules) already say what was expected.
      return [{ path, message: `${issue.message}${isPrimitive(input) ? `, got ${got(input)}` : ''}` }];
  }
}

/**
 * A union fails as a whole; the useful report is from the branch the value was written for: one
 * whose failure is not merely "wrong type at the top". When every branch failed on the type
 * itself, say which types would do.
 */
function unionProblems(branches: Issue[][], path: IssuePath, name: string, input: unknown): SchemaProblem[] {
  const relevant = branches.filter((issues) => !issues.every(isTopTypeMismatch));
  if (relevant.length > 0) {
    // The branch that got furthest: the fewest problems.
    const best = relevant.reduce((a, b) => (b.length < a.length ? b : a));
    return schemaProblems(best, path);
  }
  const expected = [...new Set(branches.flatMap((issues) => issues.flatMap(expectedTypes)))];
  return [{ path, message: `${name} must be ${listOf(expected.map(article))}, got ${got(input)}` }];
}

function isTopTypeMismatch(issue: Issue): boolean {
  if (issue.path.length > 0) return false;
  if (issue.code === 'invalid_type') return true;
  return (
    issue.code === 'invalid_union' && (issue.errors as Issue[][]).every((b) => b.every(isTopTypeMismatch))
  );
}

function expectedTypes(issue: Issue): string[] {
  if (issue.code === 'invalid_type') return [issue.expected];
  if (issue.code === 'invalid_union') return (issue.errors as Issue[][]).flat().flatMap(expectedTypes);
  return [];
}

function boundPhrase(issue: Issue & { code: 'too_small' | 'too_big' }): string {
  const small = issue.code === 'too_small';
  const bound = Number(small ? issue.minimum : issue.maximum);
  const inclusive = issue.inclusive !== false;
  const unit = { array: 'item', string: 'character', set: 'item', file: 'byte' }[issue.origin as string];
  if (unit) return `must have ${small ? 'at least' : 'at most'} ${bound} ${unit}${bound === 1 ? '' : 's'}`;
  if (small) return `must be ${inclusive ? 'at least' : 'greater than'} ${bound}`;
  return `must be ${inclusive ? 'at most' : 'less than'} ${bound}`;
}

function nameOf(path: IssuePath): string {
  for (let i = path.length - 1; i >= 0; i--) {
    const part = path[i];
    if (typeof part === 'string') return path.slice(i + 1).reduce<string>((out, p) => `${out}[${p}]`, part);
  }
  return 'the file';
}

/** A JSON type name with its article: "a number", "an object". */
function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function listOf(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`;
}

/** What the file holds, for the message: `string "x"`, `number 5`, `an array`, `null`. */
function got(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'an array';
  if (typeof input === 'object') return 'an object';
  if (typeof input === 'string')
    return `string ${JSON.stringify(input.length > 60 ? `${input.slice(0, 60)}…` : input)}`;
  return `${typeof input} ${String(input)}`;
}

function isPrimitive(input: unknown): boolean {
  return input !== undefined && input !== null && typeof input !== 'object';
}
