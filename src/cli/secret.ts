/** `keygate secret set | list | rm`: secrets are write-only; only metadata is ever printed. */
import { keygateCommand } from '../config/index.js';
import { checkSecretShape, type SecretMetadata } from '../vault/index.js';
import { findDaemon } from './daemon-client.js';
import { type CommandOutput, formatTable } from './output.js';
import { readSecretValue } from './secret-input.js';
import { withVault } from './vault-session.js';

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
  checkSecretShape(options.name, kind, params);
  const question = `Value for ${options.name} (${kind}, hidden): `;
  const input = {
    name: options.name,
    kind,
    params,
    ...(options.service ? { service: options.service } : {}),
  };
  const daemon = await findDaemon(options.home);
  const meta = daemon
    ? await daemon.request<SecretMetadata>('PUT', `/api/secrets/${encodeURIComponent(options.name)}`, {
        ...input,
        value: await readSecretValue(options.fromStdin === true, question),
      })
    : await withVault({ home: options.home, command: 'keygate secret set' }, async ({ unsealed }) =>
        unsealed.vault.set({ ...input, value: await readSecretValue(options.fromStdin === true, question) }),
      );
  const verb = meta.version === 1 ? 'stored' : `replaced (version ${meta.version})`;
  return { json: meta, text: `${verb} secret ${meta.name} (${meta.kind}, ${meta.fingerprint})` };
}

export async function secretListCommand(options: { home?: string }): Promise<CommandOutput> {
  const daemon = await findDaemon(options.home);
  const secrets = daemon
    ? (await daemon.request<{ secrets: SecretMetadata[] }>('GET', '/api/secrets')).secrets
    : await withVault({ home: options.home, command: 'keygate secret list' }, ({ unsealed }) =>
        unsealed.vault.list(),
      );
  const when = (value: string | null, none: string) => value?.slice(0, 19).replace('T', ' ') ?? none;
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
  ];
  return {
    json: { secrets },
    text:
      secrets.length === 0
        ? `no secrets yet: ${keygateCommand(options.home)('secret set NAME')}`
        : formatTable([header, ...secrets.map(row)]),
  };
}

export async function secretRemoveCommand(options: { home?: string; name: string }): Promise<CommandOutput> {
  const daemon = await findDaemon(options.home);
  if (daemon) await daemon.request('DELETE', `/api/secrets/${encodeURIComponent(options.name)}`);
  else
    await withVault({ home: options.home, command: 'keygate secret rm' }, ({ unsealed }) =>
      unsealed.vault.remove(options.name),
    );
  return { json: { removed: options.name }, text: `removed secret ${options.name}` };
}
