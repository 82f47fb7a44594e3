/** The catalog: every curated tool of every built-in service, loaded from the committed specs/. */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { KeygateError } from '../errors/index.js';
import { ArgumentValidator } from './argument-validator.js';
import { isObject, type JsonObject } from './openapi-walk.js';
import { buildTools, serviceProfile } from './tool-builder.js';
import { ToolSearch } from './tool-search.js';
import type { ServiceProfile, ToolDefinition } from './types.js';

/** Services whose curated specs ship with keygate (`spec: builtin:<name>`). */
export const BUILTIN_SERVICES = ['github', 'stripe', 'notion'] as const;

/** The folder holding curated specs and curation files, next to the package's src/ and dist/. */
export const SPECS_DIR = fileURLToPath(new URL('../../specs/', import.meta.url));

/** An immutable set of tools, looked up by name or alias. */
export class Catalog {
  readonly tools: readonly ToolDefinition[];
  readonly services: ReadonlyMap<string, ServiceProfile>;
  private readonly byName: ReadonlyMap<string, ToolDefinition>;
  private readonly validator = new ArgumentValidator();
  private searchIndex: ToolSearch | undefined;

  constructor(services: readonly ServiceProfile[], tools: readonly ToolDefinition[]) {
    const byName = new Map<string, ToolDefinition>();
    for (const tool of tools) {
      for (const name of [tool.name, ...tool.aliases]) {
        if (byName.has(name))
          throw new KeygateError('catalog.spec_invalid', `tool name ${name} is used twice`);
        byName.set(name, tool);
      }
    }
    this.tools = Object.freeze([...tools]);
    this.services = new Map(services.map((service) => [service.name, service]));
    this.byName = byName;
  }

  /** The tool called `name` (or formerly called so), if any. */
  find(name: string): ToolDefinition | undefined {
    return this.byName.get(name);
  }

  /** The tool called `name`; throws `catalog.unknown` otherwise. */
  get(name: string): ToolDefinition {
    const tool = this.find(name);
    if (!tool) throw new KeygateError('catalog.unknown', `no tool named ${name}`);
    return tool;
  }

  /**
   * The arguments of a call to `tool` as they will be sent: checked against its input schema, JSON
   * strings parsed where the schema wants an object or array. Throws `executor.invalid_arguments`.
   */
  validate(tool: ToolDefinition, args: unknown): Record<string, unknown> {
    return this.validator.validate(tool, args);
  }

  /** The profile of service `name`; throws `catalog.unknown` otherwise. */
  service(name: string): ServiceProfile {
    const service = this.services.get(name);
    if (!service) throw new KeygateError('catalog.unknown', `no service named ${name}`);
    return service;
  }

  /** Ranked search over the tools, built on first use (discovery mode), not at every start. */
  get search(): ToolSearch {
    this.searchIndex ??= new ToolSearch(this.tools);
    return this.searchIndex;
  }

  /** A catalog restricted to the tools `keep` accepts. */
  filter(keep: (tool: ToolDefinition) => boolean): Catalog {
    return new Catalog([...this.services.values()], this.tools.filter(keep));
  }
}

/** Builds a catalog from curated documents already in memory. */
export function catalogFromDocuments(docs: readonly JsonObject[]): Catalog {
  return new Catalog(docs.map(serviceProfile), docs.flatMap(buildTools));
}

/** Loads the curated spec of each named built-in service from `dir` (default: the package's specs/). */
export async function loadCatalog(
  services: readonly string[] = BUILTIN_SERVICES,
  dir: string = SPECS_DIR,
): Promise<Catalog> {
  const docs = await Promise.all(services.map((service) => loadCuratedSpec(service, dir)));
  return catalogFromDocuments(docs);
}

/** Reads one curated spec, `<dir>/<service>.json`. */
export async function loadCuratedSpec(service: string, dir: string = SPECS_DIR): Promise<JsonObject> {
  const file = `${dir.replace(/\/$/, '')}/${service}.json`;
  let doc: unknown;
  try {
    doc = JSON.parse(await readFile(file, 'utf8'));
  } catch (cause) {
    throw new KeygateError('catalog.spec_invalid', `cannot load curated spec ${file}`, { cause });
  }
  if (!isObject(doc)) throw new KeygateError('catalog.spec_invalid', `${file} is not a JSON object`);
  return doc;
}
