/**
 * A constraint on a member of an argument whose schema is a choice of object shapes pins the
 * shape too. With `parent.page_id` pinned, `{page_id: X, type: "workspace", workspace: true}`
 * holds the pinned value yet names another parent: members of other shapes and a discriminator
 * naming another shape are refused.
 */
import type { ArgumentUnion, ToolDefinition } from '../catalog/index.js';

/** Why the arguments leave the shape that constraining `arg` (`parent.page_id`) pins; `undefined` when they keep to it. */
export function shapeViolation(
  tool: ToolDefinition,
  arg: string,
  args: Readonly<Record<string, unknown>>,
): string | undefined {
  const parts = arg.split('.');
  let value: unknown = args;
  for (let depth = 0; depth < parts.length; depth++) {
    if (!isRecord(value)) return undefined; // absent: the constraint itself reports it
    const path = parts.slice(0, depth).join('.');
    const union = tool.unions.get(path);
    const member = parts[depth] as string;
    if (union) {
      const violation = leftShape(union, path, member, value);
      if (violation) return `${violation} (policy constrains ${arg})`;
    }
    value = Object.hasOwn(value, member) ? value[member] : undefined;
  }
  return undefined;
}

/** `value` must keep to the shapes of `union` that declare `member`. */
function leftShape(
  union: ArgumentUnion,
  path: string,
  member: string,
  value: Readonly<Record<string, unknown>>,
): string | undefined {
  const at = (key: string) => (path ? `${path}.${key}` : key);
  const where = path || 'the arguments';
  const pinned = union.branches.filter((branch) => branch.keys.includes(member));
  if (pinned.length === 0) return `no shape of ${where} has ${member}`;
  const { discriminator } = union;
  if (discriminator !== undefined && Object.hasOwn(value, discriminator)) {
    const tags = pinned.flatMap((branch) => (branch.tag === undefined ? [] : [branch.tag]));
    if (!tags.includes(value[discriminator] as string)) {
      return tags.length > 0
        ? `${at(discriminator)} must be ${tags.map((tag) => JSON.stringify(tag)).join(' or ')}: ${where} must be the shape with ${member}`
        : `${at(discriminator)} is not allowed: ${where} must be the shape with ${member}`;
    }
  }
  const allowed = new Set([...union.shared, ...pinned.flatMap((branch) => branch.keys)]);
  if (discriminator !== undefined) allowed.add(discriminator);
  for (const key of Object.keys(value)) {
    if (!allowed.has(key)) {
      const members = [...allowed].filter((k) => !union.shared.includes(k)).join(', ');
      return `${at(key)} is not allowed: ${where} must be the shape with ${member} (members: ${members})`;
    }
  }
  return undefined;
}

function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
