/** Reading what a token endpoint answers: bounded in size, and as a JSON object. */

/** The text of `body`, or undefined once it holds more than `maxBytes` (the rest is not read). */
export async function boundedText(
  body: AsyncIterable<Uint8Array> & { destroy?(): unknown },
  maxBytes: number,
): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > maxBytes) {
      body.destroy?.();
      return undefined;
    }
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The JSON object `text` holds, or undefined for anything else (an answer a token endpoint sent). */
export function jsonObjectOf(text: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
