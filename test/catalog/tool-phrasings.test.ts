/**
 * The labelled task phrasings behind bench/catalog/search-recall.mjs: the fixture's integrity only.
 * The recall figure itself is a benchmark result, not asserted here.
 */
import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Catalog, loadCatalog } from '../../src/catalog/index.js';

interface Phrasing {
  phrase: string;
  tool: string;
  also?: string[];
}

const FIXTURE = new URL('../../bench/catalog/tool-phrasings.json', import.meta.url);

describe('bench/catalog/tool-phrasings.json', () => {
  let catalog: Catalog;
  let phrasings: Phrasing[];
  beforeAll(async () => {
    catalog = await loadCatalog();
    phrasings = JSON.parse(await readFile(FIXTURE, 'utf8'));
  });

  it('is an array of { phrase, tool, also? } with non-empty strings and nothing else', () => {
    expect(Array.isArray(phrasings)).toBe(true);
    for (const entry of phrasings) {
      expect(Object.keys(entry).filter((key) => !['phrase', 'tool', 'also'].includes(key))).toEqual([]);
      expect(typeof entry.phrase === 'string' && entry.phrase.trim().length > 0, JSON.stringify(entry)).toBe(
        true,
      );
      expect(typeof entry.tool, JSON.stringify(entry)).toBe('string');
      if (entry.also !== undefined) {
        expect(Array.isArray(entry.also) && entry.also.length > 0, entry.phrase).toBe(true);
      }
    }
  });

  it('holds at least 200 phrasings', () => {
    expect(phrasings.length).toBeGreaterThanOrEqual(200);
  });

  it('names only tools of the catalog, by their current names (not aliases)', () => {
    const names = new Set(catalog.tools.map((tool) => tool.name));
    const unknown = phrasings.flatMap((entry) =>
      [entry.tool, ...(entry.also ?? [])].filter((name) => !names.has(name)),
    );
    expect(unknown).toEqual([]);
  });

  it('never lists the expected tool again, or twice, as an also-acceptable one', () => {
    for (const entry of phrasings) {
      const acceptable = [entry.tool, ...(entry.also ?? [])];
      expect(new Set(acceptable).size, entry.phrase).toBe(acceptable.length);
    }
  });

  it('covers every tool of the catalog at least twice as the expected tool', () => {
    const count = new Map<string, number>();
    for (const entry of phrasings) count.set(entry.tool, (count.get(entry.tool) ?? 0) + 1);
    const underCovered = catalog.tools.map((tool) => tool.name).filter((name) => (count.get(name) ?? 0) < 2);
    expect(underCovered).toEqual([]);
  });

  it('has no duplicate phrase (ignoring case and surrounding spaces)', () => {
    const seen = new Set<string>();
    const duplicates: string[] = [];
    for (const { phrase } of phrasings) {
      const key = phrase.trim().toLowerCase();
      if (seen.has(key)) duplicates.push(phrase);
      seen.add(key);
    }
    expect(duplicates).toEqual([]);
  });
});
