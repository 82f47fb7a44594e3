/** `keygate secret set | list | rm`: secrets are write-only; only metadata is ever printed. */
import type { SecretMetadata } from '../vault/index.js';
import { checkSecretShape } from '../vault/index.js';
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
  return withVault({ home: options.home, command: 'keygate secret set' }, async ({ unsealed }) => {
    const value = await readSecretValue(
      options.fromStdin === true,
      `Value for ${options.name} (${kind}, hidden): `,
    );
    const meta = await unsealed.vault.set({
      name: options.name,
      kind,
      value,
      params,
      ...(options.service ? { service: options.service } : {}),
    });
    const verb = meta.version === 1 ? 'stored' : `replaced (version ${meta.version})`;
    return { json: meta, text: `${verb} secret ${meta.name} (${meta.kind}, ${meta.fingerprint})` };
  });
}

export async function secretListCommand(options: { home?: string }): Promise<CommandOutput> {
  return withVault({ home: options.home, command: 'keygate secret list' }, async ({ unsealed }) => {
    const secrets = await unsealed.vault.list();
    const row = (s: SecretMetadata) => [
      s.name,
      s.kind,
      s.service ?? '-',
      Object.entries(s.params)
        .map(([k, v]) => `${k}=${v}`)
        .join(',') || '-',
      String(s.version),
      s.fingerprint,
      s.createdAt.slice(0, 19).replace('T', ' '),
      s.rotatedAt?.slice(0, 19).replace('T', ' ') ?? '-',
      s.lastUsedAt?.slice(0, 19).replace('T', ' ') ?? 'never',
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
          ? 'no secrets yet: keygate secret set NAME'
          : formatTable([header, ...secrets.map(row)]),
    };
  });
}

export async function secretRemoveCommand(options: { home?: string; name: string }): Promise<CommandOutput> {
  return withVault({ home: options.home, command: 'keygate secret rm' }, async ({ unsealed }) => {
    await unsealed.vault.remove(options.name);
    return { json: { removed: options.name }, text: `removed secret ${options.name}` };
  });
}
