/**
 * Which IP addresses keygate never sends a credential to: every block of the IANA IPv4 and IPv6
 * special-purpose registries, multicast, the rest of the IPv6 space outside global unicast, cloud
 * metadata endpoints, and IPv4 addresses embedded in IPv6 (mapped, compatible, NAT64, 6to4,
 * Teredo). Addresses are parsed by the WHATWG URL host parser, the same one that parses the
 * upstream URL, so a spelling (`0x7f.1`, `2130706433`, `[::ffff:7f00:1]`) means here exactly what
 * it means to the connection: no second parser to disagree with.
 */

interface Block {
  readonly bytes: Uint8Array;
  readonly bits: number;
  readonly cidr: string;
  readonly name: string;
}

function block(cidr: string, name: string): Block {
  const [address = '', bits = ''] = cidr.split('/');
  const bytes = parseIp(address);
  if (!bytes) throw new Error(`bad block ${cidr}`);
  return { bytes, bits: Number(bits), cidr, name };
}

/** Most specific first, so that an address is named by its narrowest block. */
function table(entries: readonly (readonly [string, string])[]): readonly Block[] {
  return entries.map(([cidr, name]) => block(cidr, name)).sort((a, b) => b.bits - a.bits);
}

/** IANA IPv4 special-purpose registry, multicast, and cloud metadata addresses. */
export const IPV4_BLOCKS = table([
  ['0.0.0.0/8', 'This network'],
  ['0.0.0.0/32', 'This host on this network (unspecified)'],
  ['10.0.0.0/8', 'Private-Use'],
  ['100.64.0.0/10', 'Shared Address Space (CGNAT)'],
  ['100.100.100.200/32', 'cloud metadata (Alibaba Cloud)'],
  ['127.0.0.0/8', 'Loopback'],
  ['169.254.0.0/16', 'Link Local'],
  ['169.254.169.254/32', 'cloud metadata (AWS, GCP, Azure, …)'],
  ['168.63.129.16/32', 'cloud metadata (Azure WireServer)'],
  ['172.16.0.0/12', 'Private-Use'],
  ['192.0.0.0/24', 'IETF Protocol Assignments'],
  ['192.0.0.0/29', 'IPv4 Service Continuity Prefix'],
  ['192.0.0.8/32', 'IPv4 dummy address'],
  ['192.0.0.9/32', 'Port Control Protocol Anycast'],
  ['192.0.0.10/32', 'Traversal Using Relays around NAT Anycast'],
  ['192.0.0.170/31', 'NAT64/DNS64 Discovery'],
  ['192.0.0.192/32', 'cloud metadata (Oracle Cloud)'],
  ['192.0.2.0/24', 'Documentation (TEST-NET-1)'],
  ['192.31.196.0/24', 'AS112-v4'],
  ['192.52.193.0/24', 'AMT'],
  ['192.88.99.0/24', 'Deprecated (6to4 Relay Anycast)'],
  ['192.168.0.0/16', 'Private-Use'],
  ['192.175.48.0/24', 'Direct Delegation AS112 Service'],
  ['198.18.0.0/15', 'Benchmarking'],
  ['198.51.100.0/24', 'Documentation (TEST-NET-2)'],
  ['203.0.113.0/24', 'Documentation (TEST-NET-3)'],
  ['224.0.0.0/4', 'Multicast'],
  ['240.0.0.0/4', 'Reserved'],
  ['255.255.255.255/32', 'Limited Broadcast'],
]);

/**
 * IANA IPv6 special-purpose registry and the other non-global parts of the address space. The
 * prefixes that embed an IPv4 address are handled before this table (see `embeddedIpv4`).
 */
export const IPV6_BLOCKS = table([
  ['::/128', 'Unspecified Address'],
  ['::1/128', 'Loopback Address'],
  ['::/96', 'IPv4-compatible (deprecated)'],
  ['::ffff:0:0:0/96', 'IPv4-translated (SIIT)'],
  ['64:ff9b:1::/48', 'IPv4-IPv6 Translation (local use)'],
  ['100::/64', 'Discard-Only Address Block'],
  ['100:0:0:1::/64', 'Dummy IPv6 Prefix'],
  ['2001::/23', 'IETF Protocol Assignments'],
  ['2001:1::1/128', 'Port Control Protocol Anycast'],
  ['2001:1::2/128', 'Traversal Using Relays around NAT Anycast'],
  ['2001:1::3/128', 'DNS-SD Service Registration Protocol Anycast'],
  ['2001:2::/48', 'Benchmarking'],
  ['2001:3::/32', 'AMT'],
  ['2001:4:112::/48', 'AS112-v6'],
  ['2001:10::/28', 'Deprecated (previously ORCHID)'],
  ['2001:20::/28', 'ORCHIDv2'],
  ['2001:30::/28', 'Drone Remote ID Protocol Entity Tags (DETs) Prefix'],
  ['2001:db8::/32', 'Documentation'],
  ['2620:4f:8000::/48', 'Direct Delegation AS112 Service'],
  ['3fff::/20', 'Documentation'],
  ['5f00::/16', 'Segment Routing (SRv6) SIDs'],
  ['fc00::/7', 'Unique-Local'],
  ['fd00:ec2::254/128', 'cloud metadata (AWS IPv6)'],
  ['fe80::/10', 'Link-Local Unicast'],
  ['fec0::/10', 'Site-Local (deprecated)'],
  ['ff00::/8', 'Multicast'],
]);

const GLOBAL_UNICAST = block('2000::/3', 'global unicast');

/** IPv6 prefixes that carry an IPv4 address: the connection (or a relay) reaches that address. */
const EMBEDDINGS: readonly { readonly block: Block; readonly ipv4: (b: Uint8Array) => Uint8Array[] }[] = [
  { block: block('::ffff:0:0/96', 'IPv4-mapped'), ipv4: (b) => [b.subarray(12, 16)] },
  { block: block('64:ff9b::/96', 'NAT64 IPv4-IPv6 Translation'), ipv4: (b) => [b.subarray(12, 16)] },
  { block: block('2002::/16', '6to4'), ipv4: (b) => [b.subarray(2, 6)] },
  {
    // Teredo: the server's IPv4 in clear, the client's obfuscated (every bit flipped).
    block: block('2001::/32', 'Teredo'),
    ipv4: (b) => [b.subarray(4, 8), b.subarray(12, 16).map((byte) => byte ^ 0xff)],
  },
];

function inBlock(address: Uint8Array, candidate: Block): boolean {
  if (address.length !== candidate.bytes.length) return false;
  const whole = candidate.bits >> 3;
  for (let i = 0; i < whole; i++) if (address[i] !== candidate.bytes[i]) return false;
  const rest = candidate.bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((address[whole] ?? 0) & mask) === ((candidate.bytes[whole] ?? 0) & mask);
}

/**
 * The bytes of an IP literal (4 or 16), or undefined when `text` is not one. Accepts what a URL
 * host accepts: dotted, decimal, octal, hex and short IPv4 forms, IPv6 with or without brackets,
 * and an IPv6 zone (`fe80::1%eth0`, as resolvers report link-local answers), which is dropped.
 */
export function parseIp(text: string): Uint8Array | undefined {
  let host = text.trim();
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (host.includes(':')) {
    host = host.replace(/%.*$/, '');
    if (!/^[0-9a-fA-F:.]+$/.test(host)) return undefined;
    return ipv6Bytes(hostOf(`[${host}]`));
  }
  // Only characters an IPv4 spelling uses: anything else could make the URL parse another host.
  if (!/^[0-9a-fA-FxX.]+$/.test(host)) return undefined;
  const parsed = hostOf(host);
  const parts = parsed?.split('.');
  if (parts?.length !== 4 || !parts.every((part) => /^\d{1,3}$/.test(part))) return undefined;
  return Uint8Array.from(parts.map(Number));
}

function hostOf(host: string): string | undefined {
  try {
    return new URL(`http://${host}/`).hostname;
  } catch {
    return undefined;
  }
}

/** Bytes of the WHATWG serialisation of an IPv6 host: `[` hex pieces, one `::` at most `]`. */
function ipv6Bytes(serialized: string | undefined): Uint8Array | undefined {
  if (!serialized?.startsWith('[')) return undefined;
  const [head = '', tail] = serialized.slice(1, -1).split('::');
  const pieces = (list: string) =>
    list === '' ? [] : list.split(':').map((piece) => Number.parseInt(piece, 16));
  const first = pieces(head);
  const last = tail === undefined ? [] : pieces(tail);
  const words = [...first, ...new Array<number>(8 - first.length - last.length).fill(0), ...last];
  const bytes = new Uint8Array(16);
  words.forEach((word, i) => {
    bytes[2 * i] = word >> 8;
    bytes[2 * i + 1] = word & 0xff;
  });
  return bytes;
}

/** The canonical text of an address's bytes (dotted IPv4, or WHATWG-compressed IPv6). */
export function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return bytes.join('.');
  const words = Array.from({ length: 8 }, (_, i) => ((bytes[2 * i] ?? 0) << 8) | (bytes[2 * i + 1] ?? 0));
  return (hostOf(`[${words.map((word) => word.toString(16)).join(':')}]`) ?? '').slice(1, -1);
}

function ipv4Refusal(bytes: Uint8Array): string | undefined {
  const found = IPV4_BLOCKS.find((candidate) => inBlock(bytes, candidate));
  return found && `${found.name} (${found.cidr})`;
}

function ipv6Refusal(bytes: Uint8Array): string | undefined {
  for (const embedding of EMBEDDINGS) {
    if (!inBlock(bytes, embedding.block)) continue;
    for (const ipv4 of embedding.ipv4(bytes)) {
      const inner = ipv4Refusal(ipv4);
      if (inner) return `${embedding.block.name} (${embedding.block.cidr}) of ${formatIp(ipv4)}: ${inner}`;
    }
    return undefined;
  }
  const found = IPV6_BLOCKS.find((candidate) => inBlock(bytes, candidate));
  if (found) return `${found.name} (${found.cidr})`;
  // Outside 2000::/3 everything else is unassigned ("Reserved by IETF"): nothing to call there.
  return inBlock(bytes, GLOBAL_UNICAST) ? undefined : 'Reserved by IETF (outside 2000::/3)';
}

/**
 * Why `ip` is a special-purpose address keygate refuses to connect to (the name and prefix of its
 * block), or undefined for a public address. A string that is not an IP literal is undefined too.
 */
export function addressRefusal(ip: string): string | undefined {
  const bytes = parseIp(ip);
  if (!bytes) return undefined;
  return bytes.length === 4 ? ipv4Refusal(bytes) : ipv6Refusal(bytes);
}

/**
 * The IPv4 address an IPv6 address stands for on this host's own stack (IPv4-mapped or
 * -compatible), so that `::ffff:127.0.0.1` and `127.0.0.1` compare equal; else the address itself.
 */
export function unmapped(bytes: Uint8Array): Uint8Array {
  if (bytes.length !== 16) return bytes;
  const mapped = EMBEDDINGS[0]!.block;
  const zeros = bytes.subarray(0, 12).every((byte) => byte === 0);
  const compatible = zeros && !(bytes[12] === 0 && bytes[13] === 0 && bytes[14] === 0);
  return inBlock(bytes, mapped) || compatible ? bytes.slice(12, 16) : bytes;
}
