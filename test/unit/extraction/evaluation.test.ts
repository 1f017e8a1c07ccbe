import { describe, expect, it } from 'vitest';
import { evaluate, loadArticles } from '../../../bench/extraction-evaluation.ts';

describe('labeled evaluation set', () => {
  const articles = loadArticles();
  const result = evaluate();

  it('covers at least 8 kinds of article and 80 labeled sentences', () => {
    expect(articles.length).toBeGreaterThanOrEqual(8);
    const topics = new Set(articles.map((a) => a.topic));
    for (const topic of ['politics', 'health', 'economy', 'crime', 'science', 'sport', 'local government', 'long feature']) {
      expect(topics).toContain(topic);
    }
    expect(result.overall.sentences).toBeGreaterThanOrEqual(80);
    // Both classes must be well represented for precision and recall to mean anything.
    const claims = articles.flatMap((a) => a.sentences).filter((s) => s.claim).length;
    expect(claims).toBeGreaterThanOrEqual(30);
    expect(result.overall.sentences - claims).toBeGreaterThanOrEqual(30);
  });

  it('meets recall >= 0.9 and precision >= 0.8 overall', () => {
    expect(result.overall.recall).toBeGreaterThanOrEqual(0.9);
    expect(result.overall.precision).toBeGreaterThanOrEqual(0.8);
  });

  it('finds the labeled quantities and arithmetic checks', () => {
    expect(result.overall.quantityRecall).toBeGreaterThanOrEqual(0.9);
    expect(result.overall.checkAccuracy).toBeGreaterThanOrEqual(0.9);
  });
});
