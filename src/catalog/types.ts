/** Shared shapes of the catalog: what a curated operation becomes once it is an MCP tool. */

import type { AmountBinding } from './amount-binding.js';

/** How dangerous a call is; set explicitly per operation at curation, never inferred at run time. */
export type Risk = 'read' | 'write' | 'destructive' | 'payment';
export const RISKS: readonly Risk[] = ['read', 'write', 'destructive', 'payment'];

/**
 * Named projection rules for a lean result (what each one drops is in src/executor/lean-result.ts).
 * A curation file names the ones its service uses; an operation opts in.
 */
export const LEAN_RULES = [
  'api_urls',
  'node_ids',
  'user_refs',
  'repo_refs',
  'reactions',
  'noise',
  'nulls',
  'empty_metadata',
  'list_urls',
  'rich_text',
  'notion_noise',
  'signed_files',
] as const;
export type LeanRule = (typeof LEAN_RULES)[number];

/**
 * Where the next page of a list comes from: GitHub's `Link: <…?page=3>; rel="next"` header,
 * Notion's `has_more` + `next_cursor` (asked for with `start_cursor`), Stripe's `has_more` and the
 * last item's id (asked for with `starting_after`).
 */
export const LEAN_PAGING = ['link_header', 'next_cursor', 'starting_after'] as const;
export type LeanPaging = (typeof LEAN_PAGING)[number];

/**
 * The most characters one tool may take in tools/list (its name, description, advertised schema
 * and annotations as JSON), issue 14: every listed tool is paid for in every conversation.
 */
export const TOOL_LIST_BUDGET = 1000;

/** The argument of a projected tool that asks for the whole document as the API sent it. */
export const FULL_RESULT_ARGUMENT = 'full';

/** How a tool's 2xx JSON answer is cut to what a model uses (unless the call says `full: true`). */
export interface LeanResults {
  readonly rules: readonly LeanRule[];
  readonly paging?: LeanPaging;
}

/**
 * A host an operation's answer may redirect to, off the service's own host (`redirect_hosts` in a
 * curation): an exact lower-case DNS name, or `*.` and a name of at least two labels, which matches
 * any name ending in `.` and that name (never the name itself, never an IP address).
 */
export const REDIRECT_HOST_PATTERN = /^(\*\.)?(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/** A JSON Schema object as keygate handles it (plain JSON, no $ref once flattened). */
export type JsonSchema = { [key: string]: unknown };

/** Where one tool argument goes in the HTTP request. */
export type ArgumentLocation = 'path' | 'query' | 'body';

/** Maps a tool argument back to the OpenAPI parameter or body field it came from. */
export interface ArgumentBinding {
  /** The argument's name in the tool's input schema (may carry a location suffix). */
  readonly arg: string;
  readonly in: ArgumentLocation;
  /** The parameter or body field name on the wire; `null` for a whole non-object body. */
  readonly name: string | null;
  /**
   * OpenAPI serialisation style (`simple`, `form`, `deepObject`, ...); in a multipart body,
   * `multipart` for a text part and `multipart-file` for a file part.
   */
  readonly style: string;
  readonly explode: boolean;
  /** A path parameter that may span several segments (GitHub's `x-multi-segment`). */
  readonly multiSegment: boolean;
}

/** MCP tool annotations, derived from risk. */
export interface ToolAnnotations {
  readonly readOnlyHint: boolean;
  readonly destructiveHint: boolean;
  readonly idempotentHint: boolean;
  readonly openWorldHint: boolean;
}

/** The operation a tool calls. */
export interface OperationRef {
  readonly method: string;
  readonly path: string;
  readonly operationId: string;
}

/** Per-service request conventions, from the curated spec's `x-keygate` block. */
export interface ServiceProfile {
  readonly name: string;
  readonly title: string;
  readonly baseUrl: string;
  /** Headers sent on every request (API version pins, Accept). */
  readonly headers: Readonly<Record<string, string>>;
  /** Whether writes carry an `Idempotency-Key` (Stripe). */
  readonly idempotencyKey: boolean;
}

/** One shape of an argument whose schema is a choice of object shapes (`oneOf`/`anyOf`). */
export interface UnionBranch {
  /** The members this shape declares. */
  readonly keys: readonly string[];
  /** The discriminator's value naming this shape, when the union has one and it is known. */
  readonly tag?: string;
}

/**
 * An argument (or the whole set of body arguments, at path `""`) whose schema is a choice of
 * object shapes. Policy uses it so that pinning one member also pins the shape it belongs to.
 */
export interface ArgumentUnion {
  /** The member whose value names the shape (`type`), if the shapes have one. */
  readonly discriminator?: string;
  readonly branches: readonly UnionBranch[];
  /** Members allowed whichever shape is chosen (at the root: path and query arguments). */
  readonly shared: readonly string[];
}

import type { ContentRules } from './content-rules.js';

/** One MCP tool: the curated operation, its flat input schema and how arguments map back. */
export interface ToolDefinition {
  readonly name: string;
  readonly aliases: readonly string[];
  readonly service: string;
  readonly description: string;
  readonly risk: Risk;
  readonly annotations: ToolAnnotations;
  readonly operation: OperationRef;
  /**
   * The schema tools/list (and anything else showing a model the tool) advertises: one every
   * model API accepts, where what keywords cannot say portably is said in descriptions.
   */
  readonly inputSchema: JsonSchema;
  /**
   * The advertised schema before tools/list's compaction (compact-schema.ts): every description
   * and nested shape in full, what keygate_describe_tool shows. Absent where it is `inputSchema`;
   * read it through `describedSchemaOf`.
   */
  readonly fullInputSchema?: JsonSchema;
  /**
   * The precise schema of the arguments: calls are validated, their JSON strings parsed and
   * argument paths resolved against it, never against the looser advertised one. Absent where
   * the two are the same (tools keygate defines itself); read it through `argumentSchemaOf`.
   */
  readonly argumentSchema?: JsonSchema;
  readonly bindings: readonly ArgumentBinding[];
  /** Fixed headers of this operation, sent over the service's own. */
  readonly headers: Readonly<Record<string, string>>;
  /** `json`, `form` (x-www-form-urlencoded), `multipart` (multipart/form-data) or `none`. */
  readonly bodyEncoding: 'json' | 'form' | 'multipart' | 'none';
  /** Argument names whose values are secrets (format: password / writeOnly), for redaction. */
  readonly sensitiveArguments: readonly string[];
  /** Arguments whose schema is a choice of object shapes, by dotted path (`parent`); `""` is the root. */
  readonly unions: ReadonlyMap<string, ArgumentUnion>;
  /**
   * The projection of this tool's answers, when its curation asks for one; the tool then has a
   * `full` argument (never sent upstream) that returns the answer as sent.
   */
  readonly leanResults?: LeanResults;
  /**
   * Hosts (`REDIRECT_HOST_PATTERN`) a GET of this operation may be redirected to once, off the
   * service's host: followed over https, without the credential or any header of keygate's, and
   * the answer read as a log (its end kept). Absent: every off-host redirect is refused.
   */
  readonly redirectHosts?: readonly string[];
  /**
   * Where a money-moving call's amount and currency come from (curation's `amount:`), for spend
   * budgets; every `payment` tool has one (`check:specs` and the curation check say so).
   */
  readonly amount?: AmountBinding;
  /**
   * Which fields of its answers are third-party text and which the service's own (the curated
   * spec's `x-keygate.response_content`, the operation's over the service's). Absent: every
   * string of an answer is third-party text.
   */
  readonly responseContent?: ContentRules;
}
