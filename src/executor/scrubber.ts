/** Removes known secret values from text before it leaves keygate. */

export const REDACTED = '[REDACTED]';

/** The forms in which a secret can come back: raw, URL-encoded, JSON-escaped, base64. */
export function secretVariants(secret: string): string[] {
  if (secret.length === 0) return [];
  const variants = new Set([
    secret,
    encodeURIComponent(secret),
    JSON.stringify(secret).slice(1, -1),
    Buffer.from(secret).toString('base64'),
    Buffer.from(secret).toString('base64url'),
  ]);
  return [...variants].filter((variant) => variant.length > 0).sort((a, b) => b.length - a.length);
}

/** A scrubber for a fixed set of secrets; the longest forms are replaced first. */
export class Scrubber {
  private readonly variants: string[];

  constructor(secrets: readonly string[]) {
    this.variants = [...new Set(secrets.flatMap(secretVariants))].sort((a, b) => b.length - a.length);
  }

  /** Longest secret form, so callers can keep enough text around a cut to scrub across it. */
  get longest(): number {
    return this.variants[0]?.length ?? 0;
  }

  scrub(text: string): string {
    let out = text;
    for (const variant of this.variants) if (out.includes(variant)) out = out.split(variant).join(REDACTED);
    return out;
  }
}
