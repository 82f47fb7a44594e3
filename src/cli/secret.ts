/** `keygate secret set | list | rm`: secrets are write-only; only metadata is ever printed. */
import { keygateCommand } from '../config/index.js';
import { checkSecretShape, type SecretMetadata } from '../vault/index.js';
import { withAdmin } from './admin-session.js';
import { type CommandOutput, formatTable } from './output.js';
import { readSecretParts, readSecretValue } from './secret-input.js';

export interface SecretSetOptions {
  readonly home?: string;
  readonly name: string;
  readonly kind?: string;
  readonly service?: string;
  readonly fromStdin?: boolean;
  readonly params: Record<string, string | undefined>;
}

export async function secretSetCommand(options: SecretSetOptions): Promise<CommandOutput> {
  const kind = options.kind ?? 'bearer';
  const params = Object.fromEntries(
    Object.entries(options.params).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
  // Check the name, kind and parameters before opening anything or asking for the value.
  const secretKind = checkSecretShape(options.name, kind, params);
  const parts = secretKind.parts?.(params);
  const question = secretKind.multiline
    ? `Paste the private key for ${options.name} (${kind}, hidden; ends at its -----END line): `
    : `Value for ${options.name} (${kind}, hidden): `;
  // A value of several parts is a JSON object of them on stdin, or one hidden prompt per part.
  const read = parts
    ? () => readSecretParts(options.fromStdin === true, options.name, parts, secretKind.optionalParts ?? [])
    : () =>
        readSecretValue(options.fromStdin === true, question, { multiline: secretKind.multiline === true });
  const input = {
    name: options.name,
    kind,
    params,
    ...(options.service ? { service: options.service } : {}),
  };
  const meta = await withAdmin(options.home, 'keygate secret set', (admin) =>
    admin.setSecret({ ...input, value: read }),
  );
  const verb = meta.version === 1 ? 'stored' : `replaced (version ${meta.version})`;
  return { json: meta, text: `${verb} secret ${meta.name} (${meta.kind}, ${meta.fingerprint})` };
}

export async function secretListCommand(options: { home?: string }): Promise<CommandOutput> {
  const { secrets } = await withAdmin(options.home, 'keygate secret list', (admin) => admin.listSecrets());
  const when = (value: string | null, none: string) => value?.slice(0, 19).replace('T', ' ') ?? none;
  const token = (s: SecretMetadata) => {
    if (!s.oauth2) return '-';
    if (s.oauth2.needsReauth) return 'NEEDS RE-AUTHORISATION';
    return s.oauth2.expiresAt ? `expires ${when(s.oauth2.expiresAt, '-')}` : 'none yet';
  };
  const row = (s: SecretMetadata) => [
    s.name,
    s.kind,
    s.service ?? '-',
    Object.entries(s.params)
      .map(([k, v]) => `${k}=${v}`)
      .join(',') || '-',
    String(s.version),
    s.fingerprint,
    when(s.createdAt, '-'),
    when(s.rotatedAt, '-'),
    when(s.lastUsedAt, 'never'),
    token(s),
  ];
  const header = [
    'NAME',
    'KIND',
    'SERVICE',
    'PARAMS',
    'VERSION',
    'FINGERPRINT',
    'CREATED',
    'ROTATED',
    'LAST USED',
    'TOKEN',
  ];
  return {
    json: { secrets },
    text:
      secrets.length === 0
        ? `no secrets yet: ${keygateCommand(options.home)('secret set NAME')}`
        : [formatTable([header, ...secrets.map(row)]), ...secrets.flatMap(mintedLines)].join('\n'),
  };
}

/** One line per credential a minted kind holds now: its narrowed scope and expiry, never a value. */
function mintedLines(secret: SecretMetadata): string[] {
  if (secret.minted === undefined) return [];
  if (secret.minted.length === 0) return [`${secret.name}: no token minted yet in this daemon`];
  return secret.minted.map(({ scope, expiresAt }) => {
    const parts = Object.entries(scope).map(([key, value]) => `${key}=${describeScope(value)}`);
    return `${secret.name}: ${parts.join(' ')} expires ${expiresAt.slice(0, 19).replace('T', ' ')}`;
  });
}

function describeScope(value: unknown): string {
  if (Array.isArray(value)) return value.join(',');
  if (typeof value === 'object' && value !== null)
    return Object.entries(value)
      .map(([key, level]) => `${key}:${String(level)}`)
      .join(',');
  return String(value);
}

export async function secretRemoveCommand(options: { home?: string; name: string }): Promise<CommandOutput> {
  await withAdmin(options.home, 'keygate secret rm', (admin) => admin.removeSecret(options.name));
  return { json: { removed: options.name }, text: `removed secret ${options.name}` };
}
