/**
 * The SSRF battery's address vectors, written out independently of src/proxy's tables: the first
 * and last address of every IANA special-purpose block (IPv4 and IPv6), cloud metadata, the
 * IPv4-in-IPv6 embeddings of special IPv4 addresses, and other spellings of special addresses.
 */

/** [block, first, last] of the IANA IPv4 special-purpose registry, multicast and reserved. */
export const IPV4_BLOCKS: readonly (readonly [string, string, string])[] = [
  ['0.0.0.0/8', '0.0.0.0', '0.255.255.255'],
  ['10.0.0.0/8', '10.0.0.0', '10.255.255.255'],
  ['100.64.0.0/10', '100.64.0.0', '100.127.255.255'],
  ['127.0.0.0/8', '127.0.0.0', '127.255.255.255'],
  ['169.254.0.0/16', '169.254.0.0', '169.254.255.255'],
  ['172.16.0.0/12', '172.16.0.0', '172.31.255.255'],
  ['192.0.0.0/24', '192.0.0.0', '192.0.0.255'],
  ['192.0.0.0/29', '192.0.0.0', '192.0.0.7'],
  ['192.0.0.8/32', '192.0.0.8', '192.0.0.8'],
  ['192.0.0.9/32', '192.0.0.9', '192.0.0.9'],
  ['192.0.0.10/32', '192.0.0.10', '192.0.0.10'],
  ['192.0.0.170/32', '192.0.0.170', '192.0.0.170'],
  ['192.0.0.171/32', '192.0.0.171', '192.0.0.171'],
  ['192.0.2.0/24', '192.0.2.0', '192.0.2.255'],
  ['192.31.196.0/24', '192.31.196.0', '192.31.196.255'],
  ['192.52.193.0/24', '192.52.193.0', '192.52.193.255'],
  ['192.88.99.0/24', '192.88.99.0', '192.88.99.255'],
  ['192.168.0.0/16', '192.168.0.0', '192.168.255.255'],
  ['192.175.48.0/24', '192.175.48.0', '192.175.48.255'],
  ['198.18.0.0/15', '198.18.0.0', '198.19.255.255'],
  ['198.51.100.0/24', '198.51.100.0', '198.51.100.255'],
  ['203.0.113.0/24', '203.0.113.0', '203.0.113.255'],
  ['224.0.0.0/4', '224.0.0.0', '239.255.255.255'],
  ['240.0.0.0/4', '240.0.0.0', '255.255.255.255'],
  ['255.255.255.255/32', '255.255.255.255', '255.255.255.255'],
];

/** [block, first, last] of the IANA IPv6 special-purpose registry and the non-global space. */
export const IPV6_BLOCKS: readonly (readonly [string, string, string])[] = [
  ['::/128', '::', '::'],
  ['::1/128', '::1', '::1'],
  ['::ffff:0:0/96', '::ffff:0.0.0.0', '::ffff:255.255.255.255'],
  ['64:ff9b::/96', '64:ff9b::', '64:ff9b::ffff:ffff'],
  ['64:ff9b:1::/48', '64:ff9b:1::', '64:ff9b:1:ffff:ffff:ffff:ffff:ffff'],
  ['100::/64', '100::', '100::ffff:ffff:ffff:ffff'],
  ['100:0:0:1::/64', '100:0:0:1::', '100:0:0:1:ffff:ffff:ffff:ffff'],
  ['2001::/23', '2001::', '2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff'],
  ['2001::/32', '2001::', '2001:0:ffff:ffff:ffff:ffff:ffff:ffff'],
  ['2001:1::1/128', '2001:1::1', '2001:1::1'],
  ['2001:1::2/128', '2001:1::2', '2001:1::2'],
  ['2001:1::3/128', '2001:1::3', '2001:1::3'],
  ['2001:2::/48', '2001:2::', '2001:2:0:ffff:ffff:ffff:ffff:ffff'],
  ['2001:3::/32', '2001:3::', '2001:3:ffff:ffff:ffff:ffff:ffff:ffff'],
  ['2001:4:112::/48', '2001:4:112::', '2001:4:112:ffff:ffff:ffff:ffff:ffff'],
  ['2001:10::/28', '2001:10::', '2001:1f:ffff:ffff:ffff:ffff:ffff:ffff'],
  ['2001:20::/28', '2001:20::', '2001:2f:ffff:ffff:ffff:ffff:ffff:ffff'],
  ['2001:30::/28', '2001:30::', '2001:3f:ffff:ffff:ffff:ffff:ffff:ffff'],
  ['2001:db8::/32', '2001:db8::', '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff'],
  ['2002::/16', '2002::', '2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
  ['2620:4f:8000::/48', '2620:4f:8000::', '2620:4f:8000:ffff:ffff:ffff:ffff:ffff'],
  ['3fff::/20', '3fff::', '3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff'],
  ['5f00::/16', '5f00::', '5f00:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
  ['fc00::/7', 'fc00::', 'fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
  ['fe80::/10', 'fe80::', 'febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
  ['fec0::/10', 'fec0::', 'feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
  ['ff00::/8', 'ff00::', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
  // Outside 2000::/3 nothing is assigned ("Reserved by IETF").
  ['::/8 (reserved)', '::2:0:0:0', '0:ff:ffff:ffff:ffff:ffff:ffff:ffff'],
  ['400::/6 (reserved)', '400::', '7ff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
  ['4000::/3 (reserved)', '4000::', '5eff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
  ['e000::/4 (reserved)', 'e000::', 'efff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
];

/** Cloud metadata endpoints, by provider. */
export const METADATA: readonly string[] = [
  '169.254.169.254',
  '169.254.170.2',
  '100.100.100.200',
  '168.63.129.16',
  '192.0.0.192',
  'fd00:ec2::254',
  '::ffff:169.254.169.254',
];

/** Special IPv4 addresses whose IPv6 embeddings must be refused too. */
export const EMBEDDED_IPV4: readonly string[] = [
  '127.0.0.1',
  '10.0.0.1',
  '172.16.0.1',
  '192.168.1.1',
  '169.254.169.254',
  '100.64.0.1',
  '100.100.100.200',
  '0.0.0.0',
  '224.0.0.1',
  '255.255.255.255',
];

function hex(ipv4: string, xor = 0): [string, string] {
  const [a = 0, b = 0, c = 0, d = 0] = ipv4.split('.').map((part) => Number(part) ^ xor);
  return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
}

/** [form, IPv6 address] for every way IPv6 can carry `ipv4`. */
export function embeddings(ipv4: string): readonly (readonly [string, string])[] {
  const [high, low] = hex(ipv4);
  const [obfHigh, obfLow] = hex(ipv4, 0xff);
  return [
    ['IPv4-mapped, dotted', `::ffff:${ipv4}`],
    ['IPv4-mapped, hex', `::ffff:${high}:${low}`],
    ['IPv4-mapped, long form', `0:0:0:0:0:ffff:${ipv4}`],
    ['IPv4-compatible', `::${ipv4}`],
    ['NAT64 64:ff9b::/96', `64:ff9b::${ipv4}`],
    ['6to4', `2002:${high}:${low}::1`],
    ['Teredo client (obfuscated)', `2001:0:4136:e378:8000:63bf:${obfHigh}:${obfLow}`],
    ['Teredo server', `2001:0:${high}:${low}::1`],
  ];
}

/** [spelling, the address it names] of special addresses as a URL host may write them. */
export const SPELLINGS: readonly (readonly [string, string])[] = [
  ['2130706433', '127.0.0.1'],
  ['0x7f000001', '127.0.0.1'],
  ['0X7F000001', '127.0.0.1'],
  ['017700000001', '127.0.0.1'],
  ['0x7f.1', '127.0.0.1'],
  ['127.1', '127.0.0.1'],
  ['127.0.1', '127.0.0.1'],
  ['0177.0.0.1', '127.0.0.1'],
  ['0x7f.0.0.1', '127.0.0.1'],
  ['0x7F.0x0.0x0.0x1', '127.0.0.1'],
  ['127.000.000.001', '127.0.0.1'],
  ['0177.1', '127.0.0.1'],
  ['127.0.0.1.', '127.0.0.1'],
  ['2852039166', '169.254.169.254'],
  ['0xa9fea9fe', '169.254.169.254'],
  ['0251.0376.0251.0376', '169.254.169.254'],
  ['169.254.43518', '169.254.169.254'],
  ['0xa9.0xfe.0xa9fe', '169.254.169.254'],
  ['0xa9.16689662', '169.254.169.254'],
  ['167772161', '10.0.0.1'],
  ['012.1', '10.0.0.1'],
  ['0xa.0.0.1', '10.0.0.1'],
  ['3232235777', '192.168.1.1'],
  ['0xc0.0xa8.0x1.0x1', '192.168.1.1'],
  ['0', '0.0.0.0'],
  ['0x0', '0.0.0.0'],
  ['00', '0.0.0.0'],
  ['[::1]', '::1'],
  ['[0:0:0:0:0:0:0:1]', '::1'],
  ['[0000:0000::0001]', '::1'],
  ['[::ffff:7f00:1]', '::ffff:127.0.0.1'],
  ['[::ffff:127.0.0.1]', '::ffff:127.0.0.1'],
  ['[0:0:0:0:0:ffff:7f00:0001]', '::ffff:127.0.0.1'],
  ['[::]', '::'],
  ['[fe80::1]', 'fe80::1'],
  ['[FD00:EC2::254]', 'fd00:ec2::254'],
];

/** Public addresses, many just outside a special block: never refused. */
export const PUBLIC: readonly string[] = [
  '8.8.8.8',
  '1.1.1.1',
  '1.0.0.0',
  '9.255.255.255',
  '11.0.0.0',
  '100.63.255.255',
  '100.128.0.0',
  '126.255.255.255',
  '128.0.0.0',
  '169.253.255.255',
  '169.255.0.0',
  '172.15.255.255',
  '172.32.0.0',
  '192.0.1.0',
  '192.167.255.255',
  '192.169.0.0',
  '198.17.255.255',
  '198.20.0.0',
  '223.255.255.255',
  '2606:4700:4700::1111',
  '2000::1',
  '2001:200::1',
  '2001:db7:ffff::1',
  '2620:4f:7fff::1',
  '3fff:1000::1',
  '::ffff:8.8.8.8',
  '64:ff9b::808:808',
  '2002:808:808::1',
  '2001:0:4136:e378:8000:63bf:f7f7:f7f7',
];
