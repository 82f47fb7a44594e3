/**
 * The connection side of the SSRF guard: an undici dispatcher whose connector resolves the host
 * once, checks every address the resolver gave, and connects to a checked address itself, so no
 * second lookup can answer differently (DNS rebinding). TLS still verifies the certificate for the
 * host name (SNI and identity check use the name, not the address).
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { Agent, buildConnector, type Dispatcher, errors } from 'undici';
import { KeygateError } from '../errors/index.js';
import { addressRefusal, formatIp, parseIp, unmapped } from './address-classes.js';

/** One answer of a resolver. */
export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

export interface GuardOptions {
  /**
   * Exact `host` or `host:port` literals (as in a URL: lower-case, IPv6 in brackets) allowed to be
   * or resolve to special-purpose addresses; a `host` without a port allows every port. A function
   * is asked at each new connection (the policy can change while the dispatcher lives).
   */
  readonly allowPrivateHosts: readonly string[] | (() => readonly string[]);
  /** Keygate's own listeners: never connected to, whatever is allowed. */
  readonly selfAddresses?: () => readonly { address: string; port: number }[];
  /** The resolver, asked once per connection (default: the system's, `dns.lookup` with all answers). */
  readonly lookup?: (host: string) => Promise<readonly ResolvedAddress[]>;
  /** Time to open the TCP/TLS connection (default 10 s). */
  readonly connectTimeoutMs?: number;
  /** Certificate authorities to trust instead of Node's (a private CA; tests): verification stays on. */
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
  /** Extra undici Agent options (timeouts); `connect` is the guard's own. */
  readonly agent?: Omit<Agent.Options, 'connect'>;
}

type ConnectOptions = Parameters<buildConnector.connector>[0];
type ConnectCallback = Parameters<buildConnector.connector>[1];

async function systemLookup(host: string): Promise<readonly ResolvedAddress[]> {
  const answers = await dnsLookup(host, { all: true, verbatim: true });
  return answers.map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }));
}

function refused(host: string, reason: string, address?: string): KeygateError {
  return new KeygateError(
    'egress.refused',
    `keygate does not connect to ${host}${address && address !== host ? ` (${address})` : ''}: ${reason}`,
    { details: { host, reason } },
  );
}

/** True when `host[:port]` is named exactly by an entry (a portless entry covers every port). */
function allowed(entries: readonly string[], host: string, port: number): boolean {
  const name = host.toLowerCase();
  return entries.some((entry) => {
    const wanted = entry.trim().toLowerCase();
    return wanted === name || wanted === `${name}:${port}`;
  });
}

/** Addresses of this machine: where a listener bound to 0.0.0.0 or :: also answers. */
function isLocal(bytes: Uint8Array): boolean {
  const text = formatIp(unmapped(bytes));
  if (/^(127\.|0\.0\.0\.0$)/.test(text) || text === '::1' || text === '::') return true;
  return Object.values(networkInterfaces())
    .flat()
    .some((iface) => {
      const own = iface && parseIp(iface.address);
      return own !== undefined && formatIp(unmapped(own)) === text;
    });
}

function isSelf(
  address: string,
  port: number,
  selves: readonly { address: string; port: number }[],
): boolean {
  const target = parseIp(address);
  if (!target) return false;
  return selves.some((self) => {
    if (self.port !== port) return false;
    const own = parseIp(self.address);
    if (!own) return isLocal(target);
    if (formatIp(unmapped(own)) === formatIp(unmapped(target))) return true;
    // A local listener answers on every local address of the same port, as far as we can tell.
    return isLocal(target) && isLocal(own);
  });
}

/** The lookup, bounded by the connect timeout: resolving is part of connecting. */
async function bounded<T>(lookup: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new errors.ConnectTimeoutError('resolving the host timed out')),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([lookup, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Resolves `hostname` once and returns the addresses a connection may use, all checked, in the
 * resolver's order. Throws `egress.refused` if any answer is refused: one private answer among
 * public ones is exactly what a rebinding attacker would return.
 */
async function checkedAddresses(
  options: GuardOptions,
  hostname: string,
  port: number,
): Promise<readonly string[]> {
  const entries =
    typeof options.allowPrivateHosts === 'function' ? options.allowPrivateHosts() : options.allowPrivateHosts;
  const hostForAllow = isIP(hostname) === 6 ? `[${formatIp(parseIp(hostname)!)}]` : hostname;
  const privateOk = allowed(entries, hostForAllow, port);
  const literal = parseIp(hostname);
  const addresses = literal
    ? [formatIp(literal)]
    : (await bounded((options.lookup ?? systemLookup)(hostname), options.connectTimeoutMs ?? 10_000)).map(
        (answer) => answer.address.replace(/%.*$/, ''),
      );
  if (addresses.length === 0) throw refused(hostname, 'the name resolved to no address');
  const selves = options.selfAddresses?.() ?? [];
  for (const address of addresses) {
    if (!parseIp(address)) throw refused(hostname, 'the resolver answered something that is not an address');
    if (isSelf(address, port, selves)) throw refused(hostname, "keygate's own listener", address);
    const reason = addressRefusal(address);
    if (reason && !privateOk) throw refused(hostname, reason, address);
    // A name in private_ok vouches for private and loopback answers, never for cloud metadata
    // or link-local ones: whoever controls that name's DNS must not reach the instance's
    // credentials through it. Only an address written out in private_ok reaches such a block.
    if (reason && !literal && NEVER_BY_NAME.test(reason)) throw refused(hostname, reason, address);
  }
  return addresses;
}

/** Blocks that a private_ok host name never opens (see `checkedAddresses`). */
const NEVER_BY_NAME = /cloud metadata|link.local/i;

/**
 * An undici dispatcher that only connects to checked addresses: the host is resolved once per
 * connection, every answer must be a public address (or the exact `host[:port]` is in
 * `allowPrivateHosts`), never keygate's own listener, and the socket goes to a checked address
 * (the next one if it cannot be reached), with TLS verifying the certificate for the host name.
 */
export function guardedDispatcher(options: GuardOptions): Dispatcher {
  const base = buildConnector({
    timeout: options.connectTimeoutMs ?? 10_000,
    ...(options.ca === undefined ? {} : { ca: options.ca as string | Buffer | (string | Buffer)[] }),
  });
  const connect = (opts: ConnectOptions, callback: ConnectCallback): void => {
    const port = Number(opts.port) || (opts.protocol === 'https:' ? 443 : 80);
    const hostname = opts.hostname;
    checkedAddresses(options, hostname, port).then(
      (addresses) => connectInTurn(base, opts, hostname, addresses, callback),
      (error: unknown) => callback(error as Error, null),
    );
  };
  return new Agent({ ...options.agent, connect });
}

function connectInTurn(
  base: buildConnector.connector,
  opts: ConnectOptions,
  hostname: string,
  addresses: readonly string[],
  callback: ConnectCallback,
  index = 0,
): void {
  // The name for SNI and the certificate check; none for an IP literal (SNI forbids addresses).
  const servername = opts.servername || (isIP(hostname) ? undefined : hostname);
  base({ ...opts, hostname: addresses[index]!, ...(servername ? { servername } : {}) }, (error, socket) => {
    // A refused or unreachable address: try the next checked one (never a new lookup). A TLS
    // failure is not retried: the certificate was wrong, another address will not make it right.
    const network =
      error &&
      /^(ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|EADDRNOTAVAIL)$/.test((error as { code?: string }).code ?? '');
    if (network && index + 1 < addresses.length) {
      connectInTurn(base, opts, hostname, addresses, callback, index + 1);
      return;
    }
    if (error) callback(error, null);
    else callback(null, socket!);
  });
}
