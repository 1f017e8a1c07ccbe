// Evidence library lookup benchmark: generates a 100k-source library in a scratch database on the local
// Postgres server, then times the library provider (kysely, keyword planning, row mapping) against the very
// same SQL sent raw through pg, over a set of claim queries. Prints p50/p95 and their ratios against the
// targets (p95 <= 50 ms, provider/raw <= 1.5). Not a test: run with `npm run bench:evidence`.
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { createDb } from '../db/index.ts';
import { migrateToLatest } from '../db/migrate.ts';
import { loadConfig } from '../src/config/index.ts';
import { keywordStatsSql, lookupSql, type KeywordStat } from '../db/repositories/source-search.ts';
import { createLibraryProvider, planMatch, queryTerms, searchSources } from '../src/evidence/index.ts';
import { dropDatabase, ensureDatabase, provisionPostgres, withDatabase } from '../src/services/postgres.ts';

const { values: args } = parseArgs({ options: { sources: { type: 'string', default: '100000' }, rounds: { type: 'string', default: '5' }, reuse: { type: 'string' } } });
const SOURCES = Number(args.sources);
const ROUNDS = Number(args.rounds);
// --reuse=NAME keeps the generated database between runs (for tuning); it is dropped only without it.
const REUSE = args.reuse;
const TARGET_P95_MS = 50;
const TARGET_RATIO = 1.5;

// Deterministic pseudo-random numbers, so every run builds the same library.
let seed = 0x2545f491;
function rand(): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return ((seed >>> 0) % 1_000_000) / 1_000_000;
}
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;

const TOPICS: Record<string, string[]> = {
  border: ['border', 'encounters', 'migrants', 'asylum', 'apprehensions', 'patrol', 'crossings', 'southwest', 'expulsions', 'customs'],
  prisons: ['prison', 'inmates', 'capacity', 'incarceration', 'overcrowding', 'detention', 'sentences', 'custody', 'jail', 'population'],
  crime: ['homicide', 'murders', 'gangs', 'violence', 'police', 'arrests', 'offences', 'robbery', 'crackdown', 'emergency'],
  economy: ['inflation', 'prices', 'wages', 'unemployment', 'growth', 'recession', 'interest', 'consumer', 'index', 'jobs'],
  health: ['hospital', 'waiting', 'patients', 'doctors', 'nurses', 'treatment', 'vaccine', 'cancer', 'emergency', 'beds'],
  climate: ['temperature', 'emissions', 'warming', 'carbon', 'renewables', 'drought', 'floods', 'wildfires', 'electricity', 'coal'],
  education: ['schools', 'teachers', 'pupils', 'exams', 'university', 'tuition', 'vacancies', 'literacy', 'funding', 'students'],
  housing: ['housing', 'rents', 'mortgage', 'homeownership', 'homelessness', 'construction', 'tenants', 'landlords', 'prices', 'planning'],
  deportation: ['deportation', 'removals', 'flights', 'charter', 'deportees', 'repatriation', 'immigration', 'enforcement', 'detainees', 'agreement'],
  defence: ['missiles', 'military', 'defence', 'budget', 'troops', 'nuclear', 'launches', 'ballistic', 'navy', 'sanctions'],
};
const PLACES = ['El Salvador', 'Honduras', 'Guatemala', 'Mexico', 'United States', 'Texas', 'Arizona', 'California', 'North Korea', 'South Korea', 'England', 'Ohio', 'Florida', 'Canada', 'Brazil', 'Colombia', 'Venezuela', 'Spain', 'France', 'Germany'];
const PUBLISHERS = ['Statistics Office', 'Ministry of Justice', 'Customs and Border Protection', 'World Prison Brief', 'Human Rights Watch', 'Pew Research Center', 'National Police', 'Example Times', 'Daily Example', 'Research Institute', 'Bureau of Labor Statistics', 'Met Office'];
const KINDS = ['official_statistics', 'government', 'report', 'research', 'news', 'fact_check', 'legal', 'reference', 'dataset', 'other'] as const;
const COMMON = ['the', 'of', 'and', 'in', 'a', 'to', 'said', 'was', 'for', 'on', 'that', 'by', 'with', 'from', 'at', 'as', 'rose', 'fell', 'year', 'report', 'figures', 'data', 'government', 'people', 'percent', 'million', 'record', 'new', 'official', 'annual', 'total', 'increase', 'decline', 'compared', 'previous', 'months', 'according', 'country', 'national', 'public'];

// A long tail of made-up words, drawn with a Zipf-like skew, stands in for the rest of English.
const SYLLABLES = ['ka', 'lo', 'mi', 'ter', 'san', 'vel', 'dor', 'pra', 'ne', 'qui', 'ros', 'tan', 'bel', 'cor', 'dun', 'fi', 'gra', 'hel', 'jor', 'mun'];
const TAIL = Array.from({ length: 6000 }, () => Array.from({ length: 2 + Math.floor(rand() * 3) }, () => pick(SYLLABLES)).join(''));
const tailWord = () => TAIL[Math.min(TAIL.length - 1, Math.floor(TAIL.length * rand() ** 3))] as string;

function sentence(topic: string[], place: string): string {
  const words: string[] = [];
  const n = 12 + Math.floor(rand() * 14);
  for (let i = 0; i < n; i++) {
    const r = rand();
    if (r < 0.3) words.push(pick(COMMON));
    else if (r < 0.55) words.push(pick(topic));
    else if (r < 0.62) words.push(place);
    else if (r < 0.72) words.push(String(Math.floor(rand() * (rand() < 0.5 ? 100 : 100_000))));
    else if (r < 0.77) words.push(String(2010 + Math.floor(rand() * 16)));
    else words.push(tailWord());
  }
  return `${words.join(' ')}.`;
}

function generateSource(i: number) {
  const topicName = pick(Object.keys(TOPICS));
  const topic = TOPICS[topicName] as string[];
  const place = pick(PLACES);
  const title = `${place} ${pick(topic)} ${pick(topic)} ${pick(COMMON)} ${2010 + Math.floor(rand() * 16)} ${tailWord()}`;
  const body = Array.from({ length: 4 + Math.floor(rand() * 8) }, () => sentence(topic, place)).join(' ');
  const year = 2010 + Math.floor(rand() * 16);
  return {
    url: `https://bench.claimdesk.test/${topicName}/${i}`,
    title,
    publisher: pick(PUBLISHERS),
    published_at: new Date(Date.UTC(year, Math.floor(rand() * 12), 1 + Math.floor(rand() * 28))),
    kind: pick(KINDS),
    reliability: Math.round(rand() * 100) / 100,
    body,
  };
}

const CLAIMS = [
  'The US reported record arrivals at its southern border during Joe Biden\'s presidency, with border agents recording more than 2.4 million encounters in the 2023 fiscal year.',
  'As of August, Cecot was holding 14,500 people, 36 per cent of its capacity of 40,000.',
  'El Salvador has been under a state of emergency since March 2022, when gangs killed 62 people in a single weekend.',
  'The country\'s prison population rose from 39,000 to 109,000 over the same period, an increase of 180 per cent.',
  'The homicide rate fell from 38 per 100,000 people in 2019 to 2.4 in 2023, according to the national police.',
  'Under current law, US citizens convicted in federal courts cannot be transferred to a foreign prison without their consent.',
  'Inflation in Mexico rose to 7 percent in 2022, the highest in two decades.',
  'Hospital waiting lists in England reached a record 7.5 million patients.',
  'North Korea launched more than 90 ballistic missiles in 2022.',
  'Deportation flights to Guatemala doubled in 2024 compared with the previous year.',
  'Teacher vacancies in Ohio schools rose by 40 percent since 2019.',
  'Renewables generated nearly half of the electricity in Spain in 2023.',
  'Rents in California increased faster than wages for the fifth year in a row.',
  'Gangs were responsible for most murders in Honduras in 2018, police said.',
  'Asylum applications at the southwest border fell sharply after the new rules in June 2024.',
  'The defence budget of South Korea grew 4.4 percent in 2023.',
  'Unemployment in Texas fell to a record low of 3.9 percent.',
  'Carbon emissions from coal in Germany dropped 20 percent in 2023.',
  'More than 83,000 people have been detained under the emergency rules in El Salvador.',
  'Prison overcrowding in Brazil reached 160 percent of official capacity.',
];
for (let i = 0; i < 30; i++) {
  const topic = TOPICS[pick(Object.keys(TOPICS))] as string[];
  CLAIMS.push(`${pick(PLACES)} ${pick(topic)} ${pick(COMMON)} ${pick(topic)} ${Math.floor(rand() * 1000)} in ${2010 + Math.floor(rand() * 16)}, ${pick(topic)} ${tailWord()} said.`);
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[idx] as number;
}

async function main(): Promise<void> {
  const config = loadConfig();
  const log = { info: (m: string) => console.log(`[bench] ${m}`), warn: (m: string) => console.warn(`[bench] ${m}`) };
  const server = await provisionPostgres(
    { databaseUrl: config.DATABASE_URL, mode: config.CLAIMDESK_POSTGRES, localUrl: config.LOCAL_POSTGRES_URL, database: 'postgres', stateDir: config.stateDir, embeddedPort: config.EMBEDDED_POSTGRES_PORT },
    log,
  );
  const dbName = REUSE ?? `claimdesk_bench_evidence_${Date.now().toString(36)}`;
  await ensureDatabase(server.adminUrl, dbName);
  const url = withDatabase(server.adminUrl, dbName);
  // One connection each: lookups run one at a time, so both paths are timed the same way.
  const db = createDb(url, { max: 1, applicationName: 'claimdesk-bench' });
  const raw = new pg.Pool({ connectionString: url, max: 1 });
  try {
    await migrateToLatest(db);
    const t0 = performance.now();
    const BATCH = 2000;
    const { rows: existing } = await raw.query<{ n: string }>('SELECT count(*) AS n FROM sources');
    for (let start = Number(existing[0]?.n ?? 0) >= SOURCES ? SOURCES : 0; start < SOURCES; start += BATCH) {
      const rows = Array.from({ length: Math.min(BATCH, SOURCES - start) }, (_, k) => generateSource(start + k));
      await raw.query(
        `INSERT INTO sources (url, title, publisher, published_at, kind, reliability, body, content_hash)
         SELECT u, t, p, d, k, r, b, md5(b) FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::text[], $6::float8[], $7::text[]) AS x(u, t, p, d, k, r, b)`,
        [rows.map((r) => r.url), rows.map((r) => r.title), rows.map((r) => r.publisher), rows.map((r) => r.published_at), rows.map((r) => r.kind), rows.map((r) => r.reliability), rows.map((r) => r.body)],
      );
    }
    await raw.query('VACUUM ANALYZE sources');
    const { rows: size } = await raw.query<{ n: string; mb: string }>(`SELECT count(*) AS n, pg_size_pretty(pg_total_relation_size('sources')) AS mb FROM sources`);
    console.log(`[bench] library: ${size[0]?.n} sources (${size[0]?.mb}) generated and indexed in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    const provider = createLibraryProvider(db);
    const plans = CLAIMS.map((text) => ({ text, keywords: queryTerms(text).keywords }));
    const runRaw = async (p: (typeof plans)[number]) => {
      // Exactly the statements the provider sends: keyword statistics, the lookup, and the wider lookup when
      // the first finds nothing. Only the SQL text is built by our code; execution and row handling are pg's.
      const stats = keywordStatsSql(p.keywords).compile(db);
      const { rows } = await raw.query<KeywordStat & { sources: number }>(stats.sql, stats.parameters as unknown[]);
      const plan = planMatch(rows);
      if (plan.tiers.length === 0) return 0;
      const q = lookupSql(plan.keywords, plan.tiers, {}, 10).compile(db);
      const r = await raw.query(q.sql, q.parameters as unknown[]);
      if (r.rows.length === 0 && plan.fallback.length > 0) {
        const f = lookupSql(plan.keywords, plan.fallback, {}, 10).compile(db);
        return (await raw.query(f.sql, f.parameters as unknown[])).rows.length;
      }
      return r.rows.length;
    };
    const runProvider = async (text: string) => (await provider.search({ text, quantities: [], claimDate: new Date('2025-09-15T00:00:00Z') }, { limit: 10 })).length;

    // Warm caches and plans for both paths.
    for (const p of plans) {
      await runRaw(p);
      await runProvider(p.text);
    }
    const providerMs: number[] = [];
    const rawMs: number[] = [];
    const perClaim = new Map<string, number[]>();
    let found = 0;
    for (let round = 0; round < ROUNDS; round++) {
      for (const p of plans) {
        // Alternate which goes first so neither always benefits from the other's cache warm-up.
        const order = (round + plans.indexOf(p)) % 2 === 0 ? ['provider', 'raw'] : ['raw', 'provider'];
        for (const which of order) {
          const s = performance.now();
          if (which === 'provider') found += await runProvider(p.text);
          else await runRaw(p);
          const ms = performance.now() - s;
          (which === 'provider' ? providerMs : rawMs).push(ms);
          if (which === 'provider') perClaim.set(p.text, [...(perClaim.get(p.text) ?? []), ms]);
        }
      }
    }
    providerMs.sort((a, b) => a - b);
    rawMs.sort((a, b) => a - b);
    const pp50 = quantile(providerMs, 0.5);
    const pp95 = quantile(providerMs, 0.95);
    const rp50 = quantile(rawMs, 0.5);
    const rp95 = quantile(rawMs, 0.95);

    const searchMs: number[] = [];
    for (const q of ['border encounters', 'prison capacity El Salvador', 'homicide rate', 'inflation prices 2023', 'deportation flights']) {
      for (let i = 0; i < 10; i++) {
        const s = performance.now();
        await searchSources(db, { q, limit: 50 });
        searchMs.push(performance.now() - s);
      }
    }
    searchMs.sort((a, b) => a - b);

    const ok = (b: boolean) => (b ? 'ok' : 'OVER');
    console.log(`[bench] ${plans.length} claim queries x ${ROUNDS} rounds = ${providerMs.length} lookups each way; ${(found / providerMs.length).toFixed(1)} candidates per lookup on average`);
    console.log('');
    console.log('                      p50 ms    p95 ms');
    console.log(`library provider   ${pp50.toFixed(2).padStart(9)} ${pp95.toFixed(2).padStart(9)}`);
    console.log(`same SQL, raw pg   ${rp50.toFixed(2).padStart(9)} ${rp95.toFixed(2).padStart(9)}`);
    console.log(`searchSources      ${quantile(searchMs, 0.5).toFixed(2).padStart(9)} ${quantile(searchMs, 0.95).toFixed(2).padStart(9)}   (GET /api/sources?q=, limit 50)`);
    const slowest = [...perClaim].map(([text, ms]) => ({ text, median: [...ms].sort((a, b) => a - b)[Math.floor(ms.length / 2)] ?? 0 })).sort((a, b) => b.median - a.median).slice(0, 3);
    console.log('');
    console.log('slowest claims (median ms):');
    for (const c of slowest) console.log(`  ${c.median.toFixed(1).padStart(6)}  ${c.text.slice(0, 90)}`);
    console.log('');
    console.log(`provider p95 / target:   ${pp95.toFixed(2)} / ${TARGET_P95_MS} ms = ${(pp95 / TARGET_P95_MS).toFixed(2)}  ${ok(pp95 <= TARGET_P95_MS)}`);
    console.log(`provider / raw, p50:     ${(pp50 / rp50).toFixed(2)} (limit ${TARGET_RATIO})  ${ok(pp50 / rp50 <= TARGET_RATIO)}`);
    console.log(`provider / raw, p95:     ${(pp95 / rp95).toFixed(2)} (limit ${TARGET_RATIO})  ${ok(pp95 / rp95 <= TARGET_RATIO)}`);
  } finally {
    await raw.end();
    await db.destroy();
    if (!REUSE) await dropDatabase(server.adminUrl, dbName);
    await server.stop();
  }
}

await main();
