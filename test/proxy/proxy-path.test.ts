import { describe, expect, it } from 'vitest';
import { isKeygateError } from '../../src/errors/index.js';
import { checkProxyPath } from '../../src/proxy/index.js';

/** Paths that could change the upstream host, escape the base path, or decode into either. */
const TRICKS: readonly string[] = [
  '//evil.com',
  '//evil.com/v1/models',
  '///evil.com',
  '/@evil.com',
  '/models@evil.com',
  '/a/@evil.com/b',
  '/http://evil.com',
  '/https://evil.com/x',
  '/http:/\\evil.com',
  '\\evil.com',
  '/\\evil.com',
  '/\\\\evil.com',
  '/a\\..\\..\\b',
  '/..',
  '/../',
  '/../admin',
  '/a/../../admin',
  '/a/./b',
  '/.',
  '/a/..;/b',
  '/..;/admin',
  '/%2e%2e/admin',
  '/%2E%2E/admin',
  '/%2e./admin',
  '/.%2e/admin',
  '/a/%2e/b',
  '/%2e',
  '/..%2fadmin',
  '/..%2Fadmin',
  '/a%2fb',
  '/a%2F..%2F..%2Fadmin',
  '/%2f%2fevil.com',
  '/%5cevil.com',
  '/%5C%5Cevil.com',
  '/a%5c..%5cadmin',
  '/%40evil.com',
  '/a%40evil.com',
  '/%252e%252e/admin',
  '/%252f',
  '/%25',
  '/a%23b',
  '/#/evil',
  '/models#@evil.com',
  '/models?x=1#frag',
  '/a%3fb',
  '/%3F@evil.com',
  '/%c0%ae%c0%ae/admin',
  '/%c0%af',
  '/%e0%80%ae%e0%80%ae/admin',
  '/%c1%9c',
  '/%ff',
  '/%ef%bc%8e%ef%bc%8e/admin',
  '/a%ef%bc%8fb',
  '/a%ef%bc%bcb',
  '/%ef%bc%a0evil.com',
  '/a\tb',
  '/a\nb',
  '/a\rb',
  '/a\u0000b',
  '/a%00b',
  '/a%0ab',
  '/a%0d%0aHost:%20evil.com',
  '/a%09b',
  '/a%7fb',
  // Segments Windows/IIS-style servers fold into dot segments (trailing dots and blanks stripped).
  '/...',
  '/a/.../b',
  '/..../admin',
  '/..%20/admin',
  '/..%20',
  '/.%20./admin',
  '/.%20/admin',
  '/%20../admin',
  '/..%09/admin',
  '/..%20%20/admin',
  '/..%20;x/admin',
  '/...;x/admin',
  '/..x./admin',
  '/..a%20/admin',
  '/%20',
  '/a/%20%20/b',
  '/%ef%bc%8e%ef%bc%8e%ef%bc%8e/admin',
  '/%ef%bc%8e%20/admin',
  '/..%e3%80%80/admin',
  '/a b',
  '/caf\u00e9',
  '/a%',
  '/a%2',
  '/a%zz',
  'evil.com/models',
  '@evil.com',
  'http://evil.com/',
  '/models?x=\u0000',
  '/models?x=a b',
  '/models?x=\\',
  '/models?x=\n',
  `/${'a'.repeat(9000)}`,
];

describe('checkProxyPath', () => {
  it.each(TRICKS)('refuses %j before anything is resolved', (raw) => {
    let thrown: unknown;
    try {
      checkProxyPath(raw);
    } catch (error) {
      thrown = error;
    }
    expect(isKeygateError(thrown, 'proxy.refused')).toBe(true);
  });

  it.each([
    ['/chat/completions', '/chat/completions', ''],
    ['/models', '/models', ''],
    ['/models?limit=2&after=x', '/models', 'limit=2&after=x'],
    ['/repos/o/r/issues?state=open&labels=a,b', '/repos/o/r/issues', 'state=open&labels=a,b'],
    ['/v1beta/models/gemini:generateContent', '/v1beta/models/gemini:generateContent', ''],
    ['/search?q=a%40b.com&email=a@b.com', '/search', 'q=a%40b.com&email=a@b.com'],
    ['/files/a%20b', '/files/a%20b', ''],
    ['/files/%e2%82%ac', '/files/%E2%82%AC', ''],
    ['/a/%41%7e/', '/a/A~/', ''],
    ['/v1.2/x.json', '/v1.2/x.json', ''],
    ['/.well-known/x', '/.well-known/x', ''],
    ['/files/v1.', '/files/v1.', ''],
    ['/files/a..b', '/files/a..b', ''],
    ['/files/..a', '/files/..a', ''],
    ['', '/', ''],
    ['/', '/', ''],
    ['?x=1', '/', 'x=1'],
    ['/models?', '/models', ''],
    ['/q?a=1?b=2', '/q', 'a=1?b=2'],
  ])('passes %j as path %j and query %j', (raw, path, query) => {
    expect(checkProxyPath(raw)).toEqual({ path, query });
  });

  it('says why in the error, without echoing the path', () => {
    expect(() => checkProxyPath('//evil.com')).toThrow(/empty segment/);
  });
});
