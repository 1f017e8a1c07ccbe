import { createHash } from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExtractionPool, ExtractionTimeoutError, type ExtractionPool } from '../../src/extraction/pool.ts';
import { ExtractionInputError } from '../../src/extraction/errors.ts';
import { openApiHarness, type ApiHarness } from '../api/support.ts';
import { TEST_ACTIVITY_SETTINGS } from '../support/activity-settings.ts';
import { startTestWorker } from '../support/env.ts';
import { eventually } from './support.ts';

// A long article whose extraction takes far longer than a millisecond (hundreds of sentences with figures) and far
// longer than a short one's: the deadline and the "nothing else waits" checks below rest on that ratio, not on a clock.
const longArticle = (tag: string) =>
  `${tag}\n\n` + 'The council said spending rose from 400 million to 520 million pounds, a rise of 30%, the mayor told reporters. '.repeat(3000);
const shortArticle = 'Unemployment fell to 3.1% in April from 3.4% in March, the statistics office said.';

describe('extraction pool: off the event loop, with a hard deadline', () => {
  let pool: ExtractionPool;
  beforeAll(async () => {
    pool = createExtractionPool({ threads: 2 });
    // Both threads started and loaded, so no test below measures a thread's start against an extraction.
    await Promise.all([pool.extract(shortArticle, {}, 120_000), pool.extract(shortArticle, {}, 120_000)]);
    expect(pool.threadsStarted).toBe(2);
  });
  afterAll(async () => {
    await pool.close();
  });

  it('extracts on a thread what extractClaims would, and passes input errors back as ExtractionInputError', async () => {
    const claims = await pool.extract(shortArticle, { includeBelowThreshold: true }, 60_000);
    expect(claims.map((c) => c.text)).toEqual([shortArticle]);
    const refused = await pool.extract('nul \u0000 byte', {}, 60_000).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ExtractionInputError);
    expect((refused as ExtractionInputError).code).toBe('nul_byte');
  });

  it('keeps the event loop free: a short article and a timer finish while a long one is still extracting', async () => {
    const order: string[] = [];
    const long = pool.extract(longArticle('loop'), {}, 120_000).then(() => order.push('long'));
    // On the event loop the long extraction would block both of these until it finished.
    await new Promise<void>((resolve) => setTimeout(resolve, 1)).then(() => order.push('timer'));
    await pool.extract(shortArticle, {}, 120_000).then(() => order.push('short'));
    await long;
    expect(order).toEqual(['timer', 'short', 'long']);
  });

  it('stops an article at its deadline by terminating its thread, and serves the next one on a fresh thread', async () => {
    const before = pool.threadsStarted;
    const err = await pool.extract(longArticle('deadline'), {}, 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExtractionTimeoutError);
    expect((err as Error).message).toContain('deadline of 1 ms');
    // Two at once need both threads: the terminated one has been replaced.
    const next = await Promise.all([pool.extract(shortArticle, {}, 120_000), pool.extract(shortArticle, {}, 120_000)]);
    expect(next.map((claims) => claims.length)).toEqual([1, 1]);
    expect(pool.threadsStarted).toBe(before + 1);
  });
});

describe('article intake: an article past its deadline fails at once, with the reason in the API', () => {
  let api: ApiHarness;
  let stopWorker: () => Promise<void>;
  beforeAll(async () => {
    api = await openApiHarness({ worker: false });
    ({ stop: stopWorker } = await startTestWorker(api.env, api.taskQueue, { settings: { ...TEST_ACTIVITY_SETTINGS, extraction: { threads: 1, deadlineMs: 1 } } }));
  });
  afterAll(async () => {
    await stopWorker();
    await api.close();
  });

  it('marks the article failed with the reason, runs the activity once, and the workflow fails as extraction_timeout', async () => {
    const body = longArticle(`intake-${Date.now()}`);
    const res = await api.req({ method: 'POST', url: '/api/articles', token: api.tokens.editor, payload: { title: 'Council spending', body } });
    expect(res.statusCode).toBe(202);
    const { article, workflowId } = res.json<{ article: { id: string; status: string }; workflowId: string }>();
    expect(article.status).toBe('pending');

    const handle = api.env.client.workflow.getHandle(workflowId);
    const failure = await handle.result().catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const activityFailure = (failure as WorkflowFailedError).cause;
    expect(activityFailure).toBeInstanceOf(ActivityFailure);
    expect((activityFailure as ActivityFailure).cause).toBeInstanceOf(ApplicationFailure);
    expect(((activityFailure as ActivityFailure).cause as ApplicationFailure).type).toBe('extraction_timeout');
    // No retries: one attempt was scheduled and started.
    const history = await handle.fetchHistory();
    const started = (history.events ?? []).filter((e) => e.activityTaskStartedEventAttributes);
    expect(started).toHaveLength(1);
    expect(started[0]!.activityTaskStartedEventAttributes!.attempt).toBe(1);

    const shown = await eventually('the article to show its failure', async () => {
      const got = await api.req({ method: 'GET', url: `/api/articles/${article.id}`, token: api.tokens.editor });
      const json = got.json<{ article: { status: string; failureReason: string | null }; claims: unknown[] }>();
      return json.article.status === 'failed' ? json : null;
    });
    expect(shown.article.failureReason).toContain('deadline of 1 ms');
    expect(shown.claims).toEqual([]);
  });

  it('records a successful extraction as extracted', async () => {
    // A worker with the default deadline (the one above fails everything on purpose).
    const queue = `${api.taskQueue}-ok`;
    const { stop } = await startTestWorker(api.env, queue);
    try {
      const text = `${shortArticle} (${Date.now()})`;
      const row = await api.env.db.insertInto('articles').values({ title: 'Jobs', body: text, content_hash: createHash('sha256').update(text).digest('hex') }).returning('id').executeTakeFirstOrThrow();
      await api.env.client.workflow.execute('articleIntakeWorkflow', { taskQueue: queue, workflowId: `article-ok-${row.id}`, args: [{ articleId: row.id }] });
      const saved = await api.env.db.selectFrom('articles').select(['status', 'failure_reason']).where('id', '=', row.id).executeTakeFirstOrThrow();
      expect(saved).toEqual({ status: 'extracted', failure_reason: null });
    } finally {
      await stop();
    }
  });
});
