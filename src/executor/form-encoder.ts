/**
 * Stripe-style `application/x-www-form-urlencoded` with nested keys, also used for OpenAPI
 * `deepObject` query parameters: `metadata[k]=v`, `items[0][price]=p`, `expand[]=x`.
 */

/** One `key=value` pair before percent-encoding. */
export type FormPair = readonly [key: string, value: string];

/**
 * Flattens `value` under `key` into pairs. `null`/`undefined` send nothing; `""` is sent as an
 * empty value (Stripe's "unset"); booleans as `true`/`false`; arrays of scalars as `key[]`,
 * arrays of objects with their index (`key[0][field]`); an empty array as `key=` (clears it).
 */
export function flattenFormValue(key: string, value: unknown, out: FormPair[] = []): FormPair[] {
  if (value === null || value === undefined) return out;
  if (Array.isArray(value)) {
    if (value.length === 0) out.push([key, '']);
    const scalars = value.every((item) => item === null || typeof item !== 'object');
    value.forEach((item, index) => {
      flattenFormValue(scalars ? `${key}[]` : `${key}[${index}]`, item, out);
    });
  } else if (typeof value === 'object') {
    for (const [field, item] of Object.entries(value)) flattenFormValue(`${key}[${field}]`, item, out);
  } else {
    out.push([key, String(value)]);
  }
  return out;
}

/** Percent-encodes pairs into a query or form body, keeping `[` and `]` readable in keys. */
export function encodePairs(pairs: readonly FormPair[]): string {
  return pairs.map(([key, value]) => `${encodeKey(key)}=${encodeComponent(value)}`).join('&');
}

/** Encodes a whole object as a Stripe form body. */
export function encodeForm(fields: Record<string, unknown>): string {
  const pairs: FormPair[] = [];
  for (const [key, value] of Object.entries(fields)) flattenFormValue(key, value, pairs);
  return encodePairs(pairs);
}

function encodeKey(key: string): string {
  return encodeComponent(key).replace(/%5B/g, '[').replace(/%5D/g, ']');
}

/** `encodeURIComponent`, plus the characters RFC 3986 reserves that it leaves alone. */
export function encodeComponent(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}
