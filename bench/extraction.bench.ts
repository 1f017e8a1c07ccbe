// Throughput of claim extraction on a 1,000-word article, against plain sentence segmentation
// of the same text, measured in the same run on one core. Target: >= 200 articles/s.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import winkNLP from 'wink-nlp';
import model from 'wink-eng-lite-web-model';
import { extractClaims } from '../src/extraction/index.ts';
import { segmentSentences } from '../src/extraction/segment.ts';
import { buildBody, loadArticles } from '../test/unit/extraction/evaluation.ts';

const TARGET_ARTICLES_PER_SECOND = 200;

function thousandWordArticle(): string {
  const demo = (JSON.parse(readFileSync(join(import.meta.dirname, '../db/seeds/demo-article.json'), 'utf8')) as { body: string }).body;
  const paragraphs = [demo, ...loadArticles().map((a) => buildBody(a).body)].join('\n\n').split(/\n\n+/);
  const out: string[] = [];
  let words = 0;
  for (const p of paragraphs) {
    if (words >= 1000) break;
    out.push(p);
    words += p.split(/\s+/).filter(Boolean).length;
  }
  return out.join('\n\n');
}

interface Timing {
  perSecond: number;
  msPerArticle: number;
}

function time(fn: () => void, minMs = 3000): Timing {
  for (let i = 0; i < 20; i++) fn();
  let runs = 0;
  const t0 = performance.now();
  let elapsed = 0;
  while (elapsed < minMs) {
    fn();
    runs++;
    elapsed = performance.now() - t0;
  }
  return { perSecond: (runs / elapsed) * 1000, msPerArticle: elapsed / runs };
}

const article = thousandWordArticle();
const bytes = Buffer.byteLength(article, 'utf8');
const words = article.split(/\s+/).filter(Boolean).length;
const sbdOnly = winkNLP(model, ['sbd']);

const plain = time(() => {
  sbdOnly.readDoc(article).sentences().out();
});
const segmented = time(() => {
  segmentSentences(article);
});
const extracted = time(() => {
  extractClaims(article);
});

const mbPerSecond = (t: Timing): string => ((t.perSecond * bytes) / (1024 * 1024)).toFixed(2);
console.log(`article: ${words} words, ${bytes} bytes, ${extractClaims(article).length} claims`);
console.table([
  { stage: 'plain sentence segmentation (wink sbd)', 'articles/s': plain.perSecond.toFixed(0), 'MB/s': mbPerSecond(plain), 'ms/article': plain.msPerArticle.toFixed(3), 'x plain': '1.00' },
  { stage: 'segmentSentences (sbd + pos + offsets)', 'articles/s': segmented.perSecond.toFixed(0), 'MB/s': mbPerSecond(segmented), 'ms/article': segmented.msPerArticle.toFixed(3), 'x plain': (segmented.msPerArticle / plain.msPerArticle).toFixed(2) },
  { stage: 'extractClaims (full)', 'articles/s': extracted.perSecond.toFixed(0), 'MB/s': mbPerSecond(extracted), 'ms/article': extracted.msPerArticle.toFixed(3), 'x plain': (extracted.msPerArticle / plain.msPerArticle).toFixed(2) },
]);
const ratio = extracted.perSecond / TARGET_ARTICLES_PER_SECOND;
console.log(`extractClaims: ${extracted.perSecond.toFixed(0)} articles/s = ${ratio.toFixed(2)}x the ${TARGET_ARTICLES_PER_SECOND} articles/s target; ${(extracted.msPerArticle / plain.msPerArticle).toFixed(2)}x the cost of plain segmentation`);
