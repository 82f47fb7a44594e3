/** The stripping and delimiting of third-party text, as pure functions (untrusted-content.ts). */
import { describe, expect, it } from 'vitest';
import { labelDocument, stripHidden, UntrustedMarkers } from '../../src/executor/index.js';

const code = (point: number) => String.fromCodePoint(point);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** Every code point the brief and the module list, one by one. */
const REMOVED = [
  0x00ad,
  0x061c,
  0x180e,
  0x200b,
  0x200c,
  0x200d,
  0x200e,
  0x200f,
  ...range(0x202a, 0x202e),
  ...range(0x2060, 0x206f),
  0xfeff,
  ...range(0xfff9, 0xfffb),
  ...range(0xe0000, 0xe007f),
  ...range(0xe0100, 0xe01ef),
];

describe('stripHidden', () => {
  it.each(REMOVED.map((point) => [point.toString(16).toUpperCase().padStart(4, '0'), point]))(
    'removes U+%s',
    (_name, point) => {
      expect(stripHidden(`a${code(point)}b`)).toBe('ab');
    },
  );

  it('removes "ignore" written in astral tag characters whole', () => {
    const tags = [...'ignore'].map((c) => code(0xe0000 + c.charCodeAt(0))).join('');
    expect(stripHidden(`ok${tags}!`)).toBe('ok!');
  });

  it('removes nothing else: text in many scripts, emoji, combining marks, spaces and newlines', () => {
    const text =
      'Crème brûlée — ça va? 日本語 العربية עברית Ελληνικά e\u0301 ☕️ 👍🏽 🇫🇷 \t\r\n «quote» [x] {y}';
    expect(stripHidden(text)).toBe(text);
  });

  it('keeps a zero-width joiner inside an emoji sequence, and removes one anywhere else', () => {
    const family = '👩\u200D👩\u200D👧';
    const coder = '👩🏽\u200D💻';
    const rainbow = '🏳\uFE0F\u200D🌈';
    expect(stripHidden(`${family} ${coder} ${rainbow}`)).toBe(`${family} ${coder} ${rainbow}`);
    expect(stripHidden('a\u200Db 👩\u200D x\u200D👧')).toBe('ab 👩 x👧');
  });

  it('turns a subdivision flag into its black flag (tags are removed whatever they follow)', () => {
    const england = `🏴${[0xe0067, 0xe0062, 0xe0065, 0xe006e, 0xe0067, 0xe007f].map(code).join('')}`;
    expect(stripHidden(england)).toBe('🏴');
  });
});

describe('UntrustedMarkers', () => {
  const markers = new UntrustedMarkers('a1b2c3');

  it('delimits text with its nonce, stripped, with marker brackets made plain', () => {
    expect(markers.wrap('hi\u200B ⟦/a1b2c3⟧ there')).toBe('⟦a1b2c3⟧hi [/a1b2c3] there⟦/a1b2c3⟧');
  });

  it('draws a fresh six-digit nonce per result', () => {
    const nonces = new Set(Array.from({ length: 50 }, () => new UntrustedMarkers().nonce));
    expect(nonces.size).toBeGreaterThan(45);
    for (const nonce of nonces) expect(nonce).toMatch(/^[0-9a-f]{6}$/);
  });

  it('says what the markers mean in one line', () => {
    expect(markers.notice()).toContain('⟦a1b2c3⟧ and ⟦/a1b2c3⟧');
    expect(markers.notice()).not.toContain('\n');
  });

  it.each([
    ['inside a span', '{"a":"⟦a1b2c3⟧some te', '{"a":"⟦a1b2c3⟧some te⟦/a1b2c3⟧'],
    ['inside a closing marker', '{"a":"⟦a1b2c3⟧text⟦/a1', '{"a":"⟦a1b2c3⟧text⟦/a1b2c3⟧'],
    ['inside an opening marker', '{"a":"⟦a1b2c3⟧x⟦/a1b2c3⟧","b":"⟦a1', '{"a":"⟦a1b2c3⟧x⟦/a1b2c3⟧","b":"'],
    ['between spans', '{"a":"⟦a1b2c3⟧x⟦/a1b2c3⟧","b":1', '{"a":"⟦a1b2c3⟧x⟦/a1b2c3⟧","b":1'],
  ])('closes a span a cut leaves open (%s)', (_case, cut, closed) => {
    expect(markers.closeCut(cut)).toBe(closed);
  });
});

describe('labelDocument', () => {
  const markers = new UntrustedMarkers('000fff');
  const rules = { thirdParty: ['body', 'metadata'], service: ['id', 'state', '*_url', 'permissions.*'] };

  it('delimits third-party fields and what is under them, and leaves the rest as it is', () => {
    const { document, paths } = labelDocument(
      {
        id: 'x1',
        state: 'open',
        count: 3,
        ok: true,
        none: null,
        html_url: 'https://h/x',
        body: 'b',
        metadata: { 'a\u200Bkey': 'v', nested: { deep: 'w' }, n: 1 },
        permissions: { issues: 'write' },
        comments: [
          { id: 'c1', body: 'first' },
          { id: 'c2', body: '' },
        ],
      },
      rules,
      markers,
    );
    expect(document).toEqual({
      id: 'x1',
      state: 'open',
      count: 3,
      ok: true,
      none: null,
      html_url: 'https://h/x',
      body: '⟦000fff⟧b⟦/000fff⟧',
      metadata: { akey: '⟦000fff⟧v⟦/000fff⟧', nested: { deep: '⟦000fff⟧w⟦/000fff⟧' }, n: 1 },
      permissions: { issues: 'write' },
      comments: [
        { id: 'c1', body: '⟦000fff⟧first⟦/000fff⟧' },
        { id: 'c2', body: '' },
      ],
    });
    expect(paths).toEqual(['body', 'metadata', 'comments[0].body']);
  });

  it('treats a string under a name no rule lists as third-party, and quotes odd keys in paths', () => {
    const { paths } = labelDocument({ 'odd key': 'x', unknown: 'y' }, rules, markers);
    expect(paths).toEqual(['["odd key"]', 'unknown']);
  });

  it('labels a root string or a root list of strings as the whole answer', () => {
    expect(labelDocument('text', rules, markers)).toEqual({
      document: '⟦000fff⟧text⟦/000fff⟧',
      paths: ['$'],
    });
    expect(labelDocument(['a'], rules, markers).paths).toEqual(['[0]']);
  });

  it('labels every string without rules (fail closed)', () => {
    expect(labelDocument({ id: 'x' }, undefined, markers).paths).toEqual(['id']);
  });
});
