/**
 * The text of a tool's successful answer as the model reads it: parsed, projected by its lean
 * results (unless the call asked for `full`), its third-party text labelled, its next page said in
 * words. Anything that cannot be read as JSON is third-party text as a whole. The scrubber runs
 * over what this returns: it stays the last step.
 */
import {
  type ContentRules,
  jsonNestsDeeperThan,
  type LeanResults,
  MAX_JSON_DEPTH,
} from '../catalog/index.js';
import { nextPageFromLink, projectResult, withNextCursor, withNextPage } from './lean-result.js';
import { labelDocument, pathsUnder, UntrustedMarkers, WHOLE_ANSWER } from './untrusted-content.js';

/** Where a result's third-party text is, and the markers that delimit it. */
export interface UntrustedLabels {
  readonly markers: UntrustedMarkers;
  /** Paths in the returned document (`$` for the whole text). */
  readonly paths: readonly string[];
}

/** An answer's text, and its labels when it holds third-party text. */
export interface AnswerText {
  readonly text: string;
  readonly untrusted?: UntrustedLabels;
}

export interface AnswerShape {
  /** Whether the answer says it is JSON (its content type). */
  readonly json: boolean;
  /** The projection, when the call gets one; `paging` only when the tool can ask for a next page. */
  readonly lean?: LeanResults;
  /** The answer's `Link` header, for `link_header` paging. */
  readonly link?: string;
  /** The tool's response content rules; absent: every string is third-party. */
  readonly rules?: ContentRules;
}

/**
 * The text of a whole (not cut short) successful answer `body`. A JSON answer without third-party
 * text and without a projection is returned exactly as sent.
 */
export function answerText(body: string, shape: AnswerShape): AnswerText {
  if (body.trim() === '') return { text: body };
  const markers = new UntrustedMarkers();
  const document = shape.json ? parse(body) : undefined;
  if (document === undefined) return wholeText(body, markers);
  const projected = shape.lean ? projectResult(document.value, shape.lean.rules) : document.value;
  const labelled = labelDocument(projected, shape.rules, markers);
  if (!shape.lean && labelled.paths.length === 0) return { text: body };
  let out: unknown = labelled.document;
  let paths = labelled.paths;
  const paging = shape.lean?.paging;
  if (paging === 'link_header') {
    out = withNextPage(out, nextPageFromLink(shape.link));
    // A root list is put under `items` when a next page is announced.
    if (Array.isArray(labelled.document) && !Array.isArray(out)) paths = pathsUnder('items', paths);
  } else if (paging) out = withNextCursor(out, paging);
  const text = JSON.stringify(out);
  return paths.length > 0 ? { text, untrusted: { markers, paths } } : { text };
}

/** A text that is not JSON (or not JSON keygate reads), as one span of third-party text. */
export function wholeText(text: string, markers = new UntrustedMarkers()): AnswerText {
  if (text.trim() === '') return { text };
  return { text: markers.wrap(text), untrusted: { markers, paths: [WHOLE_ANSWER] } };
}

/** The parsed answer, or undefined when it is not JSON or nests deeper than any answer a model reads. */
function parse(body: string): { value: unknown } | undefined {
  if (jsonNestsDeeperThan(body, MAX_JSON_DEPTH)) return undefined;
  try {
    return { value: JSON.parse(body) };
  } catch {
    return undefined;
  }
}
