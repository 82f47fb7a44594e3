/** The scrubber on its own: forms a table row cannot show, and its redacted form. */
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { REDACTED, Scrubber } from '../../src/executor/index.js';

const SECRET = 'ghp_CANARYscrub0a1b2c3d4e5f60718293a4b5c6';
const scrubber = new Scrubber([SECRET]);
const leaks = (text: string) => text.includes('CANARY');

describe('scrubber', () => {
  it('finds a secret written in several escapes at once', () => {
    const mixed = [...SECRET]
      .map(
        (c, i) =>
          [
            c,
            `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
            `%${c.charCodeAt(0).toString(16)}`,
            `&#${c.charCodeAt(0)};`,
          ][i % 4],
      )
      .join('');
    expect(scrubber.scrub(`token ${mixed} rejected`)).toBe(`token ${REDACTED} rejected`);
  });

  it('finds base64 of a longer text that holds the secret, at every byte offset', () => {
    for (const prefix of ['', 'a', 'ab', '{"token":"']) {
      const encoded = Buffer.from(`${prefix}${SECRET}"}`).toString('base64');
      expect(scrubber.scrub(encoded)).toContain(REDACTED);
      expect(scrubber.scrub(encoded)).not.toContain(Buffer.from(SECRET).toString('base64').slice(4, 20));
    }
  });

  it('re-serialises a JSON body whose decoded strings still hold the secret', () => {
    // `\u0025` is a JSON-escaped `%`: only decoding the JSON shows the percent-encoded secret.
    const nested = [...SECRET].map((c) => `\\u0025${c.charCodeAt(0).toString(16)}`).join('');
    const body = `{"echo":"${nested}","n":1}`;
    const clean = scrubber.scrubText(body);
    expect(leaks(decodeURIComponent(JSON.parse(clean).echo))).toBe(false);
    expect(JSON.parse(clean)).toEqual({ echo: REDACTED, n: 1 });
  });

  it('leaves a JSON body without secrets exactly as it was', () => {
    const body = '{\n  "a": "\\u0041 %41 &amp;",\n  "b": [1, 2]\n}';
    expect(scrubber.scrubText(body)).toBe(body);
  });

  it('scrubs every string and key of a result, nested', () => {
    const value = {
      content: [{ type: 'text', text: `x ${SECRET}` }],
      details: { [SECRET]: { deep: [SECRET] } },
    };
    expect(leaks(JSON.stringify(scrubber.scrubValue(value)))).toBe(false);
  });

  it('has a redacted form that never shows a secret', () => {
    expect(JSON.stringify({ scrubber })).toBe('{"scrubber":"[scrubber]"}');
    expect(inspect(scrubber, { showHidden: true, depth: 5 })).toBe('[scrubber]');
    expect(String(scrubber)).toBe('[scrubber]');
  });
});
