/**
 * keygate's own bearer tokens (agent and admin): 32 random bytes, shown once, stored only as a
 * SHA-256 hash, looked up by that hash.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Store } from '../store/index.js';

export type TokenKind = 'agent' | 'admin';

const PREFIX: Record<TokenKind, string> = { agent: 'kg_', admin: 'kga_' };

/** A new token: its plaintext (to show once), its id and hash (to store). */
export function mintToken(kind: TokenKind): { id: string; token: string; hash: Buffer } {
  const token = `${PREFIX[kind]}${randomBytes(32).toString('base64url')}`;
  return { id: randomUUID(), token, hash: hashToken(token) };
}

export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/**
 * Creates an admin token and stores its hash; returns the plaintext to write once. `store` may
 * be a transaction's (`{ db: trx }`), as when one replaces another.
 */
export async function createAdminToken(store: Pick<Store, 'db'>): Promise<string> {
  const minted = mintToken('admin');
  await store.db
    .insertInto('tokens')
    .values({
      id: minted.id,
      kind: 'admin',
      agent_id: null,
      hash: minted.hash,
      tools: null,
      created_at: new Date(),
    })
    .execute();
  return minted.token;
}
