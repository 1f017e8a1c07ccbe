import type { VerdictRow } from '../../db/schema.ts';
import { RATING_REGISTRY, isRating } from '../domain/ratings.ts';
import type { ClaimReviewJsonLd, PublishedVerdict } from './claimreview.ts';

// Server-rendered public pages. Every value that came from a user goes through html() or attr();
// nothing else is interpolated into markup.

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

/**
 * JSON for a <script> element: `<` becomes \u003c, so no `</script>` or `<!--` inside a string can end the
 * element early; JSON.parse of the text still gives back the identical object.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** Only web links become hrefs: a citation url of `javascript:` or `data:` is shown as text, never linked. */
export function safeHref(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : null;
  } catch {
    return null;
  }
}

export function ratingLabel(rating: string): string {
  return isRating(rating) ? RATING_REGISTRY[rating].label : rating;
}

const dateFmt = new Intl.DateTimeFormat('en-GB', { dateStyle: 'long', timeStyle: 'short', timeZone: 'UTC' });

function time(d: Date): string {
  return `<time datetime="${escapeHtml(d.toISOString())}">${escapeHtml(dateFmt.format(d))} UTC</time>`;
}

function link(url: string | null | undefined, text: string): string {
  const href = safeHref(url);
  return href ? `<a href="${escapeHtml(href)}" rel="nofollow noopener">${escapeHtml(text)}</a>` : escapeHtml(text);
}

function paragraphs(text: string): string {
  return text
    .split(/\n\s*\n/)
    .map((p) => p.trim())
    .filter((p) => p.length > 0)
    .map((p) => `<p>${escapeHtml(p).replace(/\n/g, '<br>')}</p>`)
    .join('\n');
}

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}
h1{font-size:1.5rem}blockquote{margin:1rem 0;padding:.5rem 1rem;border-left:4px solid #555;font-size:1.15rem}
.rating{display:inline-block;padding:.2rem .6rem;border:2px solid currentColor;font-weight:700}
.note{padding:.5rem 1rem;background:#fff4d6;border:1px solid #c90}dt{font-weight:600}dd{margin:0 0 .5rem}
a{color:#0645ad}nav{margin-top:2rem}`;

export function layout(title: string, body: string, head = ''): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
${head}</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

/** A citation as stored on the verdict, with the url and title resolved from the source or evidence it names. */
export interface ResolvedCitation {
  url: string | null;
  title: string | null;
  quote: string | null;
  stance: string;
}

function citationItem(c: ResolvedCitation): string {
  const name = c.title ?? c.url ?? 'Source';
  const quote = c.quote ? ` <q>${escapeHtml(c.quote)}</q>` : '';
  return `<li>${link(c.url, name)} <span>(${escapeHtml(c.stance.replace(/_/g, ' '))})</span>${quote}</li>`;
}

function earlierVersion(v: VerdictRow): string {
  const reason = v.correction_reason ? ` (It corrected the version before: ${escapeHtml(v.correction_reason)})` : '';
  return `<li>Version ${v.version}, ${time(v.recorded_at)}: <strong>${escapeHtml(ratingLabel(v.rating))}</strong>. ${escapeHtml(v.summary)}${reason}</li>`;
}

export function renderVerdictPage(input: { found: PublishedVerdict; claimReview: ClaimReviewJsonLd; citations: ResolvedCitation[]; publisherName: string }): string {
  const { found, claimReview, citations, publisherName } = input;
  const { claim, article, verdicts, latest } = found;
  const first = verdicts[0];
  const label = ratingLabel(latest.rating);
  const earlier = verdicts.slice(0, -1).reverse();

  const parts: string[] = [];
  parts.push(`<p>${escapeHtml(publisherName)} fact check</p>`);
  parts.push(`<h1>Claim: ${escapeHtml(claim.text)}</h1>`);
  parts.push(`<p>Our rating: <span class="rating">${escapeHtml(label)}</span></p>`);
  if (latest.version > 1) {
    parts.push(
      `<div class="note" role="note"><p><strong>Corrected.</strong> This is version ${latest.version} of our verdict, recorded ${time(latest.recorded_at)}.` +
        (latest.correction_reason ? ` Reason for the correction: ${escapeHtml(latest.correction_reason)}` : '') +
        `</p></div>`,
    );
  }
  parts.push(`<blockquote>${escapeHtml(claim.text)}</blockquote>`);

  const facts: string[] = [];
  if (claim.claimant) facts.push(`<dt>Claimed by</dt><dd>${escapeHtml(claim.claimant)}</dd>`);
  if (article) {
    const where = article.publisher ? ` (${escapeHtml(article.publisher)})` : '';
    facts.push(`<dt>Appeared in</dt><dd>${link(article.url, article.title)}${where}</dd>`);
  }
  facts.push(`<dt>Rating</dt><dd>${escapeHtml(label)}</dd>`);
  facts.push(`<dt>Version</dt><dd>${latest.version}</dd>`);
  facts.push(`<dt>First published</dt><dd>${time(first.recorded_at)}</dd>`);
  if (latest.version > 1) facts.push(`<dt>Last updated</dt><dd>${time(latest.recorded_at)}</dd>`);
  parts.push(`<dl>${facts.join('')}</dl>`);

  parts.push(`<section aria-labelledby="summary-h"><h2 id="summary-h">Summary</h2>${paragraphs(latest.summary)}</section>`);
  if (latest.rationale) parts.push(`<section aria-labelledby="rationale-h"><h2 id="rationale-h">Why we rated it ${escapeHtml(label.toLowerCase())}</h2>${paragraphs(latest.rationale)}</section>`);
  if (citations.length > 0) parts.push(`<section aria-labelledby="sources-h"><h2 id="sources-h">Sources</h2><ol>${citations.map(citationItem).join('\n')}</ol></section>`);
  if (earlier.length > 0) parts.push(`<section aria-labelledby="earlier-h"><h2 id="earlier-h">Earlier versions</h2><ol reversed>${earlier.map(earlierVersion).join('\n')}</ol></section>`);
  parts.push(`<nav><a href="/claims">All fact checks</a></nav>`);

  const head = `<meta name="description" content="${escapeHtml(`${label}: ${latest.summary}`)}">\n<script type="application/ld+json">${jsonForScript(claimReview)}</script>\n`;
  return layout(`${label}: ${claim.text}`, parts.join('\n'), head);
}

export interface VerdictListItem {
  claimId: string;
  text: string;
  claimant: string | null;
  rating: string;
  version: number;
  updatedAt: Date;
}

export function renderVerdictList(input: { items: VerdictListItem[]; nextCursor: string | null; limit: number; publisherName: string }): string {
  const rows = input.items.map((i) => {
    const who = i.claimant ? `${escapeHtml(i.claimant)}: ` : '';
    const corrected = i.version > 1 ? ' (corrected)' : '';
    return `<li><a href="/claims/${encodeURIComponent(i.claimId)}">${who}${escapeHtml(i.text)}</a> — <strong>${escapeHtml(ratingLabel(i.rating))}</strong>${corrected}, ${time(i.updatedAt)}</li>`;
  });
  const list = rows.length > 0 ? `<ol>${rows.join('\n')}</ol>` : '<p>No published fact checks yet.</p>';
  const next = input.nextCursor ? `<nav><a rel="next" href="/claims?limit=${input.limit}&amp;cursor=${encodeURIComponent(input.nextCursor)}">Older fact checks</a></nav>` : '';
  return layout(`Fact checks — ${input.publisherName}`, `<h1>Fact checks by ${escapeHtml(input.publisherName)}</h1>\n${list}\n${next}`);
}

export function renderNotFound(what: string): string {
  return layout('Not found', `<h1>Not found</h1>\n<p>${escapeHtml(what)}</p>\n<nav><a href="/claims">All fact checks</a></nav>`);
}
