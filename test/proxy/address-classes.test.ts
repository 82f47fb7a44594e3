import { describe, expect, it } from 'vitest';
import { addressRefusal } from '../../src/proxy/index.js';
import {
  EMBEDDED_IPV4,
  embeddings,
  IPV4_BLOCKS,
  IPV6_BLOCKS,
  METADATA,
  PUBLIC,
  SPELLINGS,
} from './special-addresses.js';

const firstAndLast = (blocks: readonly (readonly [string, string, string])[]) =>
  blocks.flatMap(([block, first, last]) => [
    [block, 'first', first],
    [block, 'last', last],
  ]);

describe('addressRefusal', () => {
  it.each(firstAndLast(IPV4_BLOCKS))('refuses %s (%s address %s)', (_block, _which, address) => {
    expect(addressRefusal(address)).toBeDefined();
  });

  it.each(firstAndLast(IPV6_BLOCKS))('refuses %s (%s address %s)', (_block, _which, address) => {
    expect(addressRefusal(address)).toBeDefined();
  });

  it.each(METADATA)('refuses the cloud metadata address %s', (address) => {
    expect(addressRefusal(address)).toBeDefined();
  });

  it.each(EMBEDDED_IPV4.flatMap((ipv4) => embeddings(ipv4).map(([form, ipv6]) => [form, ipv4, ipv6])))(
    'refuses the %s form of %s (%s)',
    (_form, _ipv4, ipv6) => {
      expect(addressRefusal(ipv6)).toBeDefined();
    },
  );

  it.each(SPELLINGS)('refuses %s, a spelling of %s, as that address', (spelling, address) => {
    expect(addressRefusal(spelling)).toBeDefined();
    expect(addressRefusal(spelling)).toBe(addressRefusal(address));
  });

  it.each(PUBLIC)('lets the public address %s through', (address) => {
    expect(addressRefusal(address)).toBeUndefined();
  });

  it('names the block, and the embedded address and its block', () => {
    expect(addressRefusal('10.1.2.3')).toBe('Private-Use (10.0.0.0/8)');
    expect(addressRefusal('169.254.169.254')).toMatch(/cloud metadata/);
    expect(addressRefusal('::ffff:10.1.2.3')).toBe(
      'IPv4-mapped (::ffff:0:0/96) of 10.1.2.3: Private-Use (10.0.0.0/8)',
    );
    // RFC 4380's example: client 192.0.2.45 behind server 65.54.227.120.
    expect(addressRefusal('2001:0:4136:e378:8000:63bf:3fff:fdd2')).toMatch(/^Teredo .* of 192\.0\.2\.45: /);
  });

  it('answers undefined for a host name, which is not an address', () => {
    expect(addressRefusal('api.openai.com')).toBeUndefined();
    expect(addressRefusal('127.0.0.1.nip.io')).toBeUndefined();
    expect(addressRefusal('evil.com@127.0.0.1')).toBeUndefined();
  });

  it('reads a link-local answer with a zone as link-local', () => {
    expect(addressRefusal('fe80::1%eth0')).toMatch(/Link-Local/);
  });
});
