/**
 * The outbound secret scan: before a request leaves, everything it carries is searched for
 * (a) the value of any secret in the vault, in every encoding the scrubber knows (raw,
 * percent-encoded, base64 and base64url at any offset, hex in either case, JSON and HTML
 * escapes), unless the request goes to that secret's own service; and (b) credentials of known
 * shapes (see shape-rules.ts). A hit names its rule and its place, never the value.
 */
import { inspect } from 'node:util';
import { REDACTED, Scrubber } from '../executor/index.js';
import { joinParts, type Outbound, partAt } from './scan-part.js';
import type { ScanSecret, SecretSource } from './secret-source.js';
import { findShapes } from './shape-rules.js';

/** The rule of a hit on a vault secret's value. */
export const VAULT_RULE = 'vault-secret';
/**
 * Secret values shorter than this are not looked for: they would match ordinary text (a real
 * credential is far longer; the response scrubber still removes them from what comes back).
 */
export const MIN_SCANNED_LENGTH = 8;

/** What the scan found first: a rule, a place, and how to keep the value out of records. */
export interface ScanHit {
  /** `vault-secret`, or a secretlint rule and message id (`github/GITHUB_TOKEN`). */
  readonly rule: string;
  /** Where the request carries it: `argument body`, `header x-foo`, `query`, `path`, `body`. */
  readonly place: string;
  readonly kind: 'vault' | 'shape';
  /** `value` (an audit row's or approval's arguments) with the hits and every vault secret replaced. */
  redact<T>(value: T): T;
}

interface Matchers {
  readonly version: string;
  readonly secrets: readonly ScanSecret[];
  /** Every secret's values: what records are scrubbed of. */
  readonly all: Scrubber;
  /** By the name of the secret exempt (the destination's own; '' for none): every other secret. */
  readonly others: Map<string, Scrubber>;
}

export class SecretScanner {
  #matchers: Promise<Matchers> | undefined;
  #building: string | undefined;

  constructor(
    private readonly source: SecretSource,
    private readonly options: { readonly shapes?: boolean } = {},
  ) {}

  /**
   * The first hit in `outbound`, or undefined when it carries nothing. `ownSecret` is the secret
   * of the destination service (from policy): its values may go there, and only there. Throws
   * when the vault cannot be read: no scan, no call.
   */
  async scan(outbound: Outbound, ownSecret: string | undefined): Promise<ScanHit | undefined> {
    const matchers = await this.#current();
    const { text, starts } = joinParts(outbound.parts);
    const placeAt = (offset: number) => outbound.parts[partAt(starts, offset)]!.place;
    const found = this.#others(matchers, ownSecret ?? '').matches(text)[0];
    if (found) return hit(VAULT_RULE, placeAt(found[0]), 'vault', matchers.all, []);
    if (this.options.shapes === false) return undefined;
    const shapes = await findShapes(text);
    if (shapes.length === 0) return undefined;
    // A shape that is the destination's own secret, going to its own service, is no leak.
    const own = ownSecret
      ? new Scrubber(valuesOf(matchers.secrets, (name) => name === ownSecret))
      : undefined;
    const ownRanges = own?.matches(text) ?? [];
    const leaks = shapes.filter(
      ({ range }) => !ownRanges.some(([start, end]) => start <= range[0] && range[1] <= end),
    );
    if (leaks.length === 0) return undefined;
    const spans = leaks.map(({ range }) => text.slice(range[0], range[1]));
    return hit(leaks[0]!.rule, placeAt(leaks[0]!.range[0]), 'shape', matchers.all, spans);
  }

  /**
   * `value` (a call's arguments as audit rows and approvers see them) with every vault secret
   * taken out, whatever the scan decides and whatever its mode: a call that passes (a secret sent
   * to its own service) or that policy refuses before any scan still records none.
   */
  async recordable<T>(value: T): Promise<T> {
    const { all } = await this.#current();
    return redactor(all, [])(value);
  }

  /** The matchers for the source's current version, rebuilt once per change of the vault. */
  async #current(): Promise<Matchers> {
    const version = await this.source.version();
    if (this.#matchers && this.#building === version) {
      try {
        return await this.#matchers;
      } catch {
        // A failed build is tried again below.
      }
    }
    this.#building = version;
    this.#matchers = this.source.secrets().then((secrets) => ({
      version,
      secrets,
      all: new Scrubber(valuesOf(secrets, () => true)),
      others: new Map(),
    }));
    return this.#matchers;
  }

  #others(matchers: Matchers, exempt: string): Scrubber {
    let scrubber = matchers.others.get(exempt);
    if (!scrubber) {
      scrubber = new Scrubber(valuesOf(matchers.secrets, (name) => name !== exempt));
      matchers.others.set(exempt, scrubber);
    }
    return scrubber;
  }

  toJSON(): string {
    return '[secret scanner]';
  }

  [inspect.custom](): string {
    return '[secret scanner]';
  }
}

function valuesOf(secrets: readonly ScanSecret[], keep: (name: string) => boolean): string[] {
  return secrets
    .filter((secret) => keep(secret.name))
    .flatMap((secret) => secret.values.filter((value) => value.length >= MIN_SCANNED_LENGTH));
}

function hit(
  rule: string,
  place: string,
  kind: ScanHit['kind'],
  all: Scrubber,
  spans: readonly string[],
): ScanHit {
  const redact = redactor(all, spans);
  return {
    rule,
    // An argument path holds the agent's own keys, and a key can be the secret itself.
    place: redact(place),
    kind,
    redact,
  };
}

/** `value` with every form of `all`'s secrets and every span in `spans` redacted, keys included. */
function redactor(all: Scrubber, spans: readonly string[]): <T>(value: T) => T {
  const redactText = (text: string) =>
    spans.reduce((out, span) => out.replaceAll(span, REDACTED), all.scrub(text));
  const walk = (value: unknown): unknown => {
    if (typeof value === 'string') return redactText(value);
    if (Array.isArray(value)) return value.map(walk);
    if (typeof value === 'object' && value !== null)
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [redactText(key), walk(item)]));
    return value;
  };
  return <T>(value: T) => walk(value) as T;
}
