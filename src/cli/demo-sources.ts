import { readFileSync } from 'node:fs';
import type { DbOrTrx } from '../../db/index.ts';
import { sourceInputSchema, upsertSources, type ValidSourceInput } from '../evidence/index.ts';

const DEMO_SOURCES_FILE = new URL('../../db/seeds/sources.jsonl', import.meta.url);

// The seed data stays in db/seeds/; validating and upserting it is evidence-library code, which db/ may not import.

/** The demo library: real public sources on the demo article's subjects, described in our own words. */
export function loadDemoSources(): ValidSourceInput[] {
  return readFileSync(DEMO_SOURCES_FILE, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, i) => {
      const parsed = sourceInputSchema.safeParse(JSON.parse(line));
      // The file is ours: a bad row is a bug to fix, not data to skip.
      if (!parsed.success) throw new Error(`db/seeds/sources.jsonl:${i + 1}: ${parsed.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ')}`);
      return parsed.data;
    });
}

/** Loads the demo library; running it again changes nothing (sources are keyed by URL). */
export async function seedDemoSources(db: DbOrTrx): Promise<{ created: number; updated: number; unchanged: number }> {
  const outcomes = await upsertSources(db, loadDemoSources());
  const counts = { created: 0, updated: 0, unchanged: 0 };
  for (const o of outcomes.values()) counts[o]++;
  return counts;
}
