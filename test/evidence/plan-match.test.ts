import { describe, expect, it } from 'vitest';
import type { KeywordStat } from '../../db/repositories/source-search.ts';
import { planMatch } from '../../src/evidence/index.ts';

const k = (keyword: string, frequency: number): KeywordStat => ({ keyword, query: `'${keyword}'`, frequency });
const big = (stats: KeywordStat[]) => stats.map((s) => ({ ...s, sources: 100_000 }));

describe('planMatch: which sources become candidates', () => {
  it('on a small library, sources sharing two keywords, falling back to any one', () => {
    const plan = planMatch([k('border', 0.4), k('encount', 0.3), k('2023', 0.5)].map((s) => ({ ...s, sources: 40 })));
    expect(plan.tiers).toEqual(["('border' & 'encount') | ('border' & '2023') | ('encount' & '2023')"]);
    expect(plan.fallback).toEqual(["('border') | ('encount') | ('2023')"]);
  });

  it('on a big library, rare keywords alone first, then pairs of middling ones; common ones only rank', () => {
    const plan = planMatch(big([k('cecot', 0.001), k('prison', 0.17), k('capac', 0.05), k('year', 0.6), k('40000', 0), k('popul', 0.1)]));
    expect(plan.keywords).toEqual(['cecot', 'prison', 'capac', 'year', '40000', 'popul']);
    expect(plan.tiers).toEqual(["('cecot') | ('40000')", "('capac' & 'popul') | ('capac' & 'prison') | ('popul' & 'prison')"]);
    expect(plan.fallback).toEqual(["('capac') | ('popul') | ('prison')"]);
  });

  it('pairs only the least common few middling keywords', () => {
    const plan = planMatch(big([k('a1', 0.15), k('a2', 0.05), k('a3', 0.1), k('a4', 0.03), k('a5', 0.19)]));
    expect(plan.tiers).toHaveLength(1);
    expect(plan.tiers[0]).not.toContain('a5');
    expect(plan.tiers[0]?.split(' | ')).toHaveLength(6);
  });

  it('requires the least common few together when every keyword is common', () => {
    const plan = planMatch(big([k('year', 0.6), k('peopl', 0.7), k('record', 0.5), k('million', 0.65)]));
    expect(plan.tiers).toEqual(["('record') & ('year') & ('million')"]);
    expect(plan.fallback).toEqual([]);
  });

  it('has nothing to match for stop words', () => {
    expect(planMatch(big([{ keyword: 'the', query: '', frequency: 0 }]))).toEqual({ keywords: [], tiers: [], fallback: [] });
  });
});
