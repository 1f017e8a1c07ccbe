import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiHarness, type ApiHarness } from './support.ts';
import type { Rating } from '../../src/domain/ratings.ts';

const HOSTILE = `<script>alert("pwned")</script> 'single' & "double"`;

/** The text of every <script type="application/ld+json"> element, and the number of <script tags in all. */
function ldJson(html: string): { blocks: string[]; scriptTags: number } {
  const blocks = [...html.matchAll(/<script type="application\/ld\+json">([\s\S]*?)<\/script>/g)].map((m) => m[1] ?? '');
  return { blocks, scriptTags: (html.match(/<script/gi) ?? []).length };
}

describe('public verdict pages', () => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await openApiHarness({ worker: false });
  });
  afterAll(async () => h.close());

  // Rows written as the claim workflow leaves them: these tests are about rendering what is recorded.
  async function claimWithVerdicts(opts: { text: string; claimant?: string; status?: 'verdict_recorded' | 'withdrawn' | 'in_review'; versions?: { rating: Rating; summary: string; rationale?: string; citations?: unknown[]; correctionReason?: string; at: Date }[] }) {
    const tag = randomUUID().slice(0, 8);
    const article = await h.env.db
      .insertInto('articles')
      .values({ title: `Budget story "${tag}" <b>bold</b>`, body: 'Body.', url: `https://news.example.com/${tag}?a=1&b=2`, publisher: 'Example & Co', content_hash: `page-test-${tag}` })
      .returning(['id'])
      .executeTakeFirstOrThrow();
    const claim = await h.env.db
      .insertInto('claims')
      .values({ text: opts.text, claimant: opts.claimant ?? null, article_id: article.id, status: opts.status ?? 'verdict_recorded', fingerprint: `page ${tag}` })
      .returning(['id'])
      .executeTakeFirstOrThrow();
    let previous: string | null = null;
    for (const [i, v] of (opts.versions ?? []).entries()) {
      const row: { id: string } = await h.env.db
        .insertInto('verdicts')
        .values({
          claim_id: claim.id,
          version: i + 1,
          rating: v.rating,
          summary: v.summary,
          rationale: v.rationale ?? null,
          citations: JSON.stringify(v.citations ?? []),
          reviewer: 'rev',
          approver: 'app',
          recorded_at: v.at,
          supersedes: previous,
          correction_reason: v.correctionReason ?? null,
        })
        .returning(['id'])
        .executeTakeFirstOrThrow();
      previous = row.id;
    }
    return claim.id;
  }

  it('renders the latest verdict as escaped HTML with the same ClaimReview the API publishes', async () => {
    const tag = randomUUID().slice(0, 8);
    const source = await h.req({
      method: 'POST',
      url: '/api/sources',
      token: h.tokens.editor,
      payload: { url: `https://stats.example.gov/libraries-${tag}`, title: `Library statistics ${tag}`, body: 'Spending tables.', kind: 'official_statistics', reliability: 0.9 },
    });
    expect(source.statusCode, source.body).toBe(201);
    const sourceId = source.json<{ source: { id: string } }>().source.id;
    const id = await claimWithVerdicts({
      text: `Library spending rose 40% ${tag} ${HOSTILE}`,
      claimant: `Jane "JR" Roe <img src=x onerror=alert(1)>`,
      versions: [
        {
          rating: 'mostly_false',
          summary: `Spending rose 12%, not 40%. </script><script>alert(1)</script>`,
          rationale: `First paragraph with ${HOSTILE}.\n\nSecond paragraph.`,
          citations: [
            { sourceId, stance: 'refutes', quote: `Table 3 "<total>"` },
            { url: 'https://example.org/report?x=1&y=2', stance: 'context' },
            { url: 'javascript:alert(1)', stance: 'supports' },
          ],
          at: new Date('2026-03-04T09:30:00Z'),
        },
      ],
    });

    const res = await h.req({ method: 'GET', url: `/claims/${id}` });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    const html = res.body;

    // The embedded JSON-LD is exactly what the API serves, and the only script on the page.
    const api = await h.req({ method: 'GET', url: `/api/claims/${id}/claimreview` });
    expect(api.statusCode).toBe(200);
    const { blocks, scriptTags } = ldJson(html);
    expect(blocks).toHaveLength(1);
    expect(scriptTags).toBe(1);
    expect(JSON.parse(blocks[0] ?? '')).toEqual(api.json());
    expect(blocks[0]).not.toContain('</');
    // The ClaimReview's url is this page.
    expect(new URL(api.json<{ url: string }>().url).pathname).toBe(`/claims/${id}`);

    // Hostile text is shown, escaped, never as markup.
    expect(html).not.toContain('<script>alert');
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('<b>bold</b>');
    expect(html).toContain('&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt; &#39;single&#39; &amp; &quot;double&quot;');
    expect(html).toContain('Jane &quot;JR&quot; Roe &lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('Spending rose 12%, not 40%. &lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;');

    expect(html).toContain('<html lang="en">');
    expect(html).toContain('<span class="rating">Mostly false</span>');
    expect(html).toContain('<p>Second paragraph.</p>');
    expect(html).toContain('<time datetime="2026-03-04T09:30:00.000Z">');
    expect(html).toContain(`<a href="https://stats.example.gov/libraries-${tag}" rel="nofollow noopener">Library statistics ${tag}</a>`);
    expect(html).toContain('<q>Table 3 &quot;&lt;total&gt;&quot;</q>');
    expect(html).toContain('<a href="https://example.org/report?x=1&amp;y=2" rel="nofollow noopener">');
    expect(html).toMatch(/<a href="https:\/\/news\.example\.com\/[0-9a-f]{8}\?a=1&amp;b=2" rel="nofollow noopener">Budget story &quot;[0-9a-f]{8}&quot; &lt;b&gt;bold&lt;\/b&gt;<\/a> \(Example &amp; Co\)/);
    // A non-web citation url is text, never a link.
    expect(html).not.toMatch(/href="javascript:/i);
    expect(html).toContain('javascript:alert(1)');
    expect(html).not.toContain('Corrected.');
    expect(html).not.toContain('Earlier versions');
  });

  it('a corrected verdict says so, with the reason, and lists the earlier versions', async () => {
    const tag = randomUUID().slice(0, 8);
    const id = await claimWithVerdicts({
      text: `Bus fares fell by half ${tag}.`,
      versions: [
        { rating: 'true', summary: 'Fares halved.', at: new Date('2026-02-01T08:00:00Z') },
        { rating: 'half_true', summary: 'Only off-peak fares halved.', correctionReason: 'Peak fares <unchanged> & we missed it', at: new Date('2026-02-10T12:00:00Z') },
      ],
    });
    const res = await h.req({ method: 'GET', url: `/claims/${id}` });
    expect(res.statusCode).toBe(200);
    const html = res.body;
    expect(html).toContain('<strong>Corrected.</strong> This is version 2 of our verdict');
    expect(html).toContain('Reason for the correction: Peak fares &lt;unchanged&gt; &amp; we missed it');
    expect(html).toContain('<span class="rating">Half true</span>');
    expect(html).toMatch(/Earlier versions<\/h2><ol reversed><li>Version 1, <time datetime="2026-02-01T08:00:00.000Z">[^<]*<\/time>: <strong>True<\/strong>\. Fares halved\.<\/li>/);
    expect(html).toContain('<dt>First published</dt><dd><time datetime="2026-02-01T08:00:00.000Z">');
    expect(html).toContain('<dt>Last updated</dt><dd><time datetime="2026-02-10T12:00:00.000Z">');
    const embedded = JSON.parse(ldJson(html).blocks[0] ?? '') as Record<string, unknown>;
    expect(embedded).toEqual((await h.req({ method: 'GET', url: `/api/claims/${id}/claimreview` })).json());
    expect(embedded).toMatchObject({ version: 2, datePublished: '2026-02-01T08:00:00.000Z', dateModified: '2026-02-10T12:00:00.000Z' });
  });

  it('is an HTML 404 before a verdict, for a withdrawn claim and for unknown or malformed ids', async () => {
    const tag = randomUUID().slice(0, 8);
    const pending = await claimWithVerdicts({ text: `Pending claim ${tag} ${HOSTILE}`, status: 'in_review' });
    const withdrawn = await claimWithVerdicts({ text: `Withdrawn claim ${tag}`, status: 'withdrawn', versions: [{ rating: 'false', summary: 'No.', at: new Date() }] });
    for (const path of [`/claims/${pending}`, `/claims/${withdrawn}`, '/claims/999999999999', '/claims/abc', `/claims/${encodeURIComponent('<script>x</script>')}`]) {
      const res = await h.req({ method: 'GET', url: path });
      expect(res.statusCode, path).toBe(404);
      expect(res.headers['content-type'], path).toBe('text/html; charset=utf-8');
      expect(res.body, path).toContain('<h1>Not found</h1>');
      expect(res.body, path).not.toContain('<script');
    }
    expect((await h.req({ method: 'GET', url: `/api/claims/${pending}/claimreview` })).statusCode).toBe(404);
  });

  it('lists published verdicts newest first across pages, without withdrawn claims', async () => {
    const tag = randomUUID().slice(0, 8);
    const older = await claimWithVerdicts({ text: `Older listed claim ${tag} ${HOSTILE}`, claimant: 'Mayor', versions: [{ rating: 'false', summary: 'No.', at: new Date(Date.now() - 60_000) }] });
    const newer = await claimWithVerdicts({ text: `Newer listed claim ${tag}`, versions: [{ rating: 'true', summary: 'Yes.', at: new Date() }] });
    const withdrawn = await claimWithVerdicts({ text: `Withdrawn listed claim ${tag}`, status: 'withdrawn', versions: [{ rating: 'true', summary: 'Yes.', at: new Date() }] });

    const order: string[] = [];
    let url: string | null = '/claims?limit=2';
    let pages = 0;
    while (url) {
      const res = await h.req({ method: 'GET', url });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      order.push(...[...res.body.matchAll(/<li><a href="\/claims\/(\d+)">/g)].map((m) => m[1] ?? ''));
      if (res.body.includes(`Older listed claim ${tag}`)) expect(res.body).toContain(`Mayor: Older listed claim ${tag} &lt;script&gt;`);
      const next = /<a rel="next" href="([^"]+)">/.exec(res.body)?.[1];
      url = next ? next.replaceAll('&amp;', '&') : null;
      pages += 1;
    }
    expect(pages).toBeGreaterThan(1);
    expect(new Set(order).size).toBe(order.length);
    expect(order).toContain(newer);
    expect(order.indexOf(newer)).toBeLessThan(order.indexOf(older));
    expect(order).not.toContain(withdrawn);

    const bad = await h.req({ method: 'GET', url: '/claims?cursor=not-a-cursor' });
    expect(bad.statusCode).toBe(400);
  });
});
