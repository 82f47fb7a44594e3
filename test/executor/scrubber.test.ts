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

  it('finds a secret dumped as hex bytes separated by spaces, as S3 shows a canonical request', () => {
    const dump = (text: string) =>
      Buffer.from(text)
        .toString('hex')
        .replace(/(..)(?=.)/g, '$1 ');
    const error = `<CanonicalRequestBytes>${dump(`x-amz-security-token:${SECRET}\n`)}</CanonicalRequestBytes>`;
    const clean = scrubber.scrub(error);
    expect(clean).toContain(REDACTED);
    expect(clean).not.toContain(dump(SECRET).slice(0, 40));
    expect(clean).not.toContain(dump(SECRET).toUpperCase().slice(0, 40));
    expect(scrubber.scrub(error.toUpperCase())).not.toContain(dump(SECRET).toUpperCase().slice(0, 40));
  });

  it('extended with more values, scrubs exactly what one made with all of them does', () => {
    const more = ['sig0123456789abcdef0123456789abcdef', 'second secret with spaces & <marks>'];
    const envelope = `AWS4-HMAC-SHA256 Credential=x, Signature=${more[0]}`;
    const whole = new Scrubber([SECRET, ...more], [envelope]);
    const extended = scrubber.with(more, [envelope]);
    const texts = [SECRET, ...more, envelope, Buffer.from(envelope).toString('base64')].flatMap((value) => [
      `a ${value} b`,
      encodeURIComponent(value),
      Buffer.from(value).toString('hex').toUpperCase(),
      JSON.stringify({ v: value }),
      value.slice(0, -3),
    ]);
    for (const text of texts) {
      expect(extended.scrub(text)).toBe(whole.scrub(text));
      expect(extended.withoutPartialTail(text)).toBe(whole.withoutPartialTail(text));
    }
    expect(extended.longest).toBe(whole.longest);
    // The base is unchanged.
    expect(scrubber.scrub(`x ${more[0]}`)).toBe(`x ${more[0]}`);
  });

  describe('the forms a security review found leaking', () => {
    // Every character the encoders disagree on: `/ + = ~` and `_`.
    const secret = 'ghp_Ab1/Cd2+Ef3=Gh4~xyz';
    const review = new Scrubber([secret], [`Bearer ${secret}`]);
    const code = (c: string) => c.codePointAt(0)!;
    const hex = (c: string, width: number) => code(c).toString(16).toUpperCase().padStart(width, '0');
    const each = (f: (c: string) => string) => (s: string) => [...s].map(f).join('');
    const named: Record<string, string> = {
      '/': '&sol;',
      '+': '&plus;',
      '=': '&equals;',
      _: '&lowbar;',
      '~': '&tilde;',
    };
    const wrap = (text: string, width: number, eol: string) =>
      text.replace(new RegExp(`(.{${width}})(?=.)`, 'g'), `$1${eol}`);
    const b64 = (text: string) => Buffer.from(text).toString('base64');

    it.each([
      ['double percent-encoding (%252F)', (s: string) => encodeURIComponent(s).replaceAll('%', '%25')],
      ['triple percent-encoding (%25252F)', (s: string) => encodeURIComponent(s).replaceAll('%', '%2525')],
      ['an HTML-escaped numeric reference (&amp;#103;)', each((c) => `&amp;#${code(c)};`)],
      [
        'a percent written as a reference (&#37;2F)',
        (s: string) => encodeURIComponent(s).replaceAll('%', '&#37;'),
      ],
      ['a percent-encoded reference (%26%23103%3B)', each((c) => `%26%23${code(c)}%3B`)],
      ['a JSON-escaped percent, percent-encoded twice (\\u00252F)', each((c) => `\\u0025${hex(c, 2)}`)],
      ['numeric references without semicolons (&#103)', each((c) => `&#${code(c)}`)],
      ['hex references without semicolons (&#x67)', each((c) => `&#x${hex(c, 1)}`)],
      [
        'zero-padded numeric references (&#0000000103;)',
        each((c) => `&#${String(code(c)).padStart(10, '0')};`),
      ],
      ['zero-padded hex references (&#x0000000067;)', each((c) => `&#x${hex(c, 10)};`)],
      ['HTML5 named entities (&sol; &plus; &equals; &lowbar; &tilde;)', each((c) => named[c] ?? c)],
      ['\\xNN escapes', each((c) => `\\x${hex(c, 2)}`)],
      ['ES6 \\u{...} escapes', each((c) => `\\u{${hex(c, 1)}}`)],
      ['zero-padded ES6 escapes (\\u{000067})', each((c) => `\\u{${hex(c, 6)}}`)],
      ['%uXXXX escapes', each((c) => `%u${hex(c, 4)}`)],
      [
        'mixed-case hex',
        (s: string) => {
          let letters = 0;
          return Buffer.from(s)
            .toString('hex')
            .replace(/[a-f]/g, (d) => (letters++ % 2 ? d.toUpperCase() : d));
        },
      ],
      ['MIME base64 (76 characters, CRLF)', (s: string) => wrap(b64(`Bearer ${s}`.repeat(3)), 76, '\r\n')],
      [
        'GitHub contents base64 (60 characters, JSON \\n)',
        (s: string) => wrap(b64(`Bearer ${s}`.repeat(3)), 60, '\\n'),
      ],
      ['base64 wrapped every 16 characters', (s: string) => wrap(b64(s), 16, '\n')],
    ])('finds the secret written as %s', (_name, encode) => {
      const echo = encode(secret);
      expect(echo).not.toContain(secret);
      const scrubbed = review.scrub(`token ${echo} rejected`);
      expect(scrubbed).toMatch(/^token (\[REDACTED\]\s*)+ rejected$/);
    });

    it('maps every layer back to the exact original characters', () => {
      const echo = `a%25${encodeURIComponent('%')}&amp;#37;${encodeURIComponent(secret).replaceAll('%', '%25')}&amp;lt;b`;
      expect(review.scrub(`<${echo}>`)).toBe(`<a%25%25&amp;#37;${REDACTED}&amp;lt;b>`);
    });

    it('finds line-wrapped base64 in a JSON body and in its decoded strings', () => {
      const content = wrap(b64(`# README\n\ntoken: ${secret}\n`), 60, '\n');
      const body = JSON.stringify({ encoding: 'base64', content });
      const clean = review.scrubText(body);
      expect(clean).toContain(REDACTED);
      expect(
        Buffer.from(JSON.parse(clean).content.replaceAll(/\s|\[REDACTED\]/g, ''), 'base64').toString(),
      ).not.toContain('Ab1/Cd2');
    });

    it('finds a secret that looks like an escape itself, next to a real escape', () => {
      const odd = 'x&lt1%41y/z&#9';
      const scrubber = new Scrubber([odd]);
      expect(scrubber.scrub(`[${odd.replace('/', '%2F')}]`)).toBe(`[${REDACTED}]`);
      expect(scrubber.scrub(`[${encodeURIComponent(odd)}]`)).toBe(`[${REDACTED}]`);
    });

    it('leaves text without a secret byte-identical, however many layers it decodes', () => {
      const body = [
        '%252F %25252525 &amp;#103; &#37;2F %26%23103%3B &#103 &#0000000103; &sol;&plus;&tilde;',
        '\\x41 \\u{1F600} \\u{110000} %u0041 &constructor; &#99999999999; &amp &lt3 AbCdEf0123',
        wrap(b64('not a secret, only some text long enough to be wrapped over several lines'), 60, '\\n'),
      ].join('\n');
      expect(review.scrub(body)).toBe(body);
      expect(review.scrubText(body)).toBe(body);
    });

    it('drops a tail that may be the start of a secret cut by a size limit, and nothing more', () => {
      const cut = `${'日本語'.repeat(100)} token ${encodeURIComponent(secret).replaceAll('%', '%25').slice(0, 20)}`;
      expect(review.withoutPartialTail(cut)).toBe('日本語'.repeat(100));
      expect(review.withoutPartialTail(`${'x'.repeat(10)}`)).toBe('');
      expect(review.withoutPartialTail('x'.repeat(2 * review.longest)).length).toBe(review.longest);
    });

    it('drops a head that may be the end of a secret cut off the start of a log, and nothing more', () => {
      const cut = `${encodeURIComponent(secret).replaceAll('%', '%25').slice(-20)} end ${'日本語'.repeat(100)}`;
      expect(review.withoutPartialHead(cut)).toBe('日本語'.repeat(100));
      expect(review.withoutPartialHead('x'.repeat(10))).toBe('');
      expect(review.withoutPartialHead('x'.repeat(2 * review.longest)).length).toBe(review.longest);
    });
  });

  it('has a redacted form that never shows a secret', () => {
    expect(JSON.stringify({ scrubber })).toBe('{"scrubber":"[scrubber]"}');
    expect(inspect(scrubber, { showHidden: true, depth: 5 })).toBe('[scrubber]');
    expect(String(scrubber)).toBe('[scrubber]');
  });
});
