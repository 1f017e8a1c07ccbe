import { randomUUID } from 'node:crypto';
import Fastify, { type RouteOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findUserByName } from '../../db/repositories/users.ts';
import { waitFor } from '../../src/services/net.ts';
import { claimWorkflowId } from '../../workflows/messages.ts';
import { claimIdempotencyKey, finishIdempotencyKey, releaseIdempotencyKey } from '../../db/repositories/idempotency-keys.ts';
import { installIdempotency } from '../../src/api/idempotency.ts';
import { openApiHarness, type ApiHarness } from './support.ts';

interface Task {
  id: string;
  kind: string;
  status: string;
  assignee: string | null;
}
interface Detail {
  claim: { id: string; status: string; priority: string };
  tasks: Task[];
  events: { type: string; actor: string; payload: Record<string, unknown> }[];
}

const verdict = { rating: 'mostly_true', summary: 'Close to the published figure.', citations: [{ url: 'https://stats.example.gov/idem', stance: 'supports' }] };

describe('Idempotency-Key: a retried request applies once and gets the first answer', () => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await openApiHarness();
  });
  afterAll(async () => h.close());

  const detail = async (claimId: string) => (await h.req({ method: 'GET', url: `/api/claims/${claimId}`, token: h.tokens.editor })).json<Detail>();
  const eventsOf = async (claimId: string, type: string) => (await detail(claimId)).events.filter((e) => e.type === type);

  async function newClaim(): Promise<string> {
    const res = await h.req({ method: 'POST', url: '/api/claims', token: h.tokens.fact_checker, payload: { text: `Rents rose by 12% in ${Date.now()} ${randomUUID()}.` } });
    expect(res.statusCode, res.body).toBe(202);
    return res.json<{ claim: { id: string } }>().claim.id;
  }
  async function openTask(claimId: string, kind: 'review' | 'approval'): Promise<Task> {
    let found: Task | undefined;
    await waitFor(`${kind} task on claim ${claimId}`, async () => {
      found = (await detail(claimId)).tasks.find((t) => t.kind === kind && t.status === 'open');
      return found !== undefined;
    }, 30_000);
    return found as Task;
  }
  const openReview = (claimId: string) => openTask(claimId, 'review');
  const post = (url: string, token: string, key: string | null, payload?: Record<string, unknown>) =>
    h.req({ method: 'POST', url, token, ...(payload === undefined ? {} : { payload }), headers: key === null ? {} : { 'idempotency-key': key } });

  it('a retried reprioritize applies once: the same answer, replayed, and one audit event', async () => {
    const claimId = await newClaim();
    await openReview(claimId);
    const key = randomUUID();
    const first = await post(`/api/claims/${claimId}/priority`, h.tokens.editor, key, { priority: 'high' });
    expect(first.statusCode, first.body).toBe(200);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const again = await post(`/api/claims/${claimId}/priority`, h.tokens.editor, key, { priority: 'high' });
    expect(again.statusCode).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json()).toEqual(first.json());
    expect(await eventsOf(claimId, 'reprioritized')).toHaveLength(1);

    // The same key for another body or another route is refused, and changes nothing.
    const otherBody = await post(`/api/claims/${claimId}/priority`, h.tokens.editor, key, { priority: 'low' });
    expect(otherBody.statusCode).toBe(422);
    expect(otherBody.headers['content-type']).toContain('application/problem+json');
    expect(otherBody.json<{ detail: string }>().detail).toMatch(/Idempotency-Key was already used for another request/);
    const otherRoute = await post(`/api/claims/${claimId}/withdraw`, h.tokens.editor, key, { reason: 'duplicate' });
    expect(otherRoute.statusCode).toBe(422);
    expect((await detail(claimId)).claim).toMatchObject({ priority: 'high' });

    // Keys belong to their user: another editor's identical key is a new request of their own.
    const byOther = await post(`/api/claims/${claimId}/priority`, h.tokens.editor2, key, { priority: 'low' });
    expect(byOther.statusCode, byOther.body).toBe(200);
    expect(byOther.headers['idempotent-replayed']).toBeUndefined();
    expect(await eventsOf(claimId, 'reprioritized')).toHaveLength(2);
  });

  it('a retried claim and a retried verdict return the original 200 bodies, not a 409', async () => {
    const claimId = await newClaim();
    const review = await openReview(claimId);
    const claimKey = randomUUID();
    const claimed = await post(`/api/tasks/${review.id}/claim`, h.tokens.fact_checker, claimKey);
    expect(claimed.statusCode, claimed.body).toBe(200);
    const claimedAgain = await post(`/api/tasks/${review.id}/claim`, h.tokens.fact_checker, claimKey);
    expect(claimedAgain.statusCode).toBe(200);
    expect(claimedAgain.headers['idempotent-replayed']).toBe('true');
    expect(claimedAgain.json()).toEqual(claimed.json());

    const verdictKey = randomUUID();
    const proposed = await post(`/api/tasks/${review.id}/verdict`, h.tokens.fact_checker, verdictKey, verdict);
    expect(proposed.statusCode, proposed.body).toBe(200);
    const retried = await post(`/api/tasks/${review.id}/verdict`, h.tokens.fact_checker, verdictKey, verdict);
    expect(retried.statusCode, retried.body).toBe(200);
    expect(retried.headers['idempotent-replayed']).toBe('true');
    expect(retried.json()).toEqual(proposed.json());
    expect(await eventsOf(claimId, 'verdict_proposed')).toHaveLength(1);
    expect(await eventsOf(claimId, 'task_claimed')).toHaveLength(1);

    // Without a key a resend is a new request, as before: the task is no longer open to a verdict.
    const resent = await post(`/api/tasks/${review.id}/verdict`, h.tokens.fact_checker, null, verdict);
    expect(resent.statusCode).toBe(409);
    expect(resent.headers['idempotent-replayed']).toBeUndefined();
  });

  it('two identical requests at once: one runs, the other is told to retry or gets the replay; the task is claimed once', async () => {
    const claimId = await newClaim();
    const review = await openReview(claimId);
    const key = randomUUID();
    const [a, b] = await Promise.all([post(`/api/tasks/${review.id}/claim`, h.tokens.fact_checker, key), post(`/api/tasks/${review.id}/claim`, h.tokens.fact_checker, key)]);
    const answers = [a, b].sort((x, y) => x.statusCode - y.statusCode);
    expect(answers[0]?.statusCode, answers[0]?.body).toBe(200);
    const second = answers[1];
    if (second?.statusCode === 409) {
      expect(second.json<{ detail: string }>().detail).toMatch(/in progress; retry later/);
      expect(second.headers['retry-after']).toBeDefined();
    } else {
      expect(second?.statusCode).toBe(200);
      expect(second?.json()).toEqual(answers[0]?.json());
    }
    // Retrying after both answered always gets the replay.
    const later = await post(`/api/tasks/${review.id}/claim`, h.tokens.fact_checker, key);
    expect(later.statusCode).toBe(200);
    expect(later.headers['idempotent-replayed']).toBe('true');
    expect(await eventsOf(claimId, 'task_claimed')).toHaveLength(1);
  });

  it('a 4xx answer is replayed too: the request was judged, and its retry changes nothing', async () => {
    const claimId = await newClaim();
    const review = await openReview(claimId);
    const held = await post(`/api/tasks/${review.id}/claim`, h.tokens.fact_checker, randomUUID());
    expect(held.statusCode).toBe(200);
    const key = randomUUID();
    const refused = await post(`/api/tasks/${review.id}/claim`, h.tokens.fact_checker2, key);
    expect(refused.statusCode).toBe(409);
    const released = await post(`/api/tasks/${review.id}/release`, h.tokens.fact_checker, randomUUID());
    expect(released.statusCode, released.body).toBe(200);
    // The task is open now, but the retry of the judged request gets its 409 back rather than claiming.
    const retried = await post(`/api/tasks/${review.id}/claim`, h.tokens.fact_checker2, key);
    expect(retried.statusCode).toBe(409);
    expect(retried.headers['idempotent-replayed']).toBe('true');
    expect(retried.headers['content-type']).toContain('application/problem+json');
    expect(retried.json()).toEqual(refused.json());
    expect((await detail(claimId)).tasks.find((t) => t.id === review.id)).toMatchObject({ status: 'open', assignee: null });
  });

  it('JSON nested deeper than the stack is a 400, not a 500; routes that return or take a secret keep no row', async () => {
    const claimId = await newClaim();
    await openReview(claimId);
    const task = (await h.req({ method: 'GET', url: `/api/claims/${claimId}`, token: h.tokens.editor })).json<{ tasks: { id: string }[] }>().tasks[0];
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const res = await h.req({ method: 'POST', url: `/api/tasks/${task?.id}/claim`, token: h.tokens.fact_checker, headers: { 'idempotency-key': randomUUID(), 'content-type': 'application/json' }, payload: deep });
    expect(res.statusCode, res.body).toBe(400);

    // A new user's token in the stored answer, or a fast hash of a password in the request hash, would outlive
    // the request by a day: those routes run as before, and a retry is judged again (409: the name is taken).
    const key = randomUUID();
    const body = { name: `idem-user-${randomUUID().slice(0, 8)}`, role: 'fact_checker', password: 'correct-horse-9' };
    expect((await post('/api/users', h.tokens.admin, key, body)).statusCode).toBe(201);
    const again = await post('/api/users', h.tokens.admin, key, body);
    expect(again.statusCode).toBe(409);
    expect(again.headers['idempotent-replayed']).toBeUndefined();
    const rows = await h.env.db.selectFrom('idempotency_keys').select('key').where('key', '=', key).execute();
    expect(rows).toHaveLength(0);
  });

  it('an attempt that outlived a takeover of its key neither finishes nor releases the row the new attempt holds', async () => {
    const me = (await h.req({ method: 'GET', url: '/api/me', token: h.tokens.editor })).json<{ user: { id: string } }>().user;
    const input = { userId: me.id, key: randomUUID(), route: 'POST /api/claims', requestHash: 'h', staleAfterMs: 120_000 };
    const first = await claimIdempotencyKey(h.env.db, input);
    expect(first).toEqual({ taken: true, attempt: 1 });
    // The first attempt hangs past the stale limit (its API died, or Temporal was slow): a retry takes the key over.
    await h.env.db.updateTable('idempotency_keys').set({ locked_at: new Date(Date.now() - 180_000) }).where('key', '=', input.key).execute();
    const second = await claimIdempotencyKey(h.env.db, input);
    expect(second).toEqual({ taken: true, attempt: 2 });
    // The first attempt then fails (5xx) and answers late: neither its release nor its finish touches the retry's row.
    await releaseIdempotencyKey(h.env.db, { userId: me.id, key: input.key, attempt: 1 });
    await finishIdempotencyKey(h.env.db, { userId: me.id, key: input.key, attempt: 1, status: 500, contentType: null, body: '' });
    const row = await h.env.db.selectFrom('idempotency_keys').selectAll().where('key', '=', input.key).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ state: 'in_progress', attempt: 2, response_status: null });
    await finishIdempotencyKey(h.env.db, { userId: me.id, key: input.key, attempt: 2, status: 202, contentType: 'application/json', body: '{}' });
    expect(await h.env.db.selectFrom('idempotency_keys').select(['state', 'response_status']).where('key', '=', input.key).executeTakeFirstOrThrow()).toEqual({ state: 'done', response_status: 202 });
  });

  it('a malformed key is a 400 naming the header; no key behaves as before', async () => {
    const claimId = await newClaim();
    await openReview(claimId);
    for (const bad of ['', 'x'.repeat(201), 'caf\u00e9-key', 'tab\there']) {
      const res = await post(`/api/claims/${claimId}/priority`, h.tokens.editor, bad, { priority: 'low' });
      expect(res.statusCode, JSON.stringify(bad)).toBe(400);
      expect(res.json<{ detail: string }>().detail).toMatch(/^Idempotency-Key: /);
    }
    expect(await eventsOf(claimId, 'reprioritized')).toHaveLength(0);

    const plain = await post(`/api/claims/${claimId}/priority`, h.tokens.editor, null, { priority: 'high' });
    expect(plain.statusCode, plain.body).toBe(200);
    const plainAgain = await post(`/api/claims/${claimId}/priority`, h.tokens.editor, null, { priority: 'low' });
    expect(plainAgain.statusCode, plainAgain.body).toBe(200);
    expect(plainAgain.headers['idempotent-replayed']).toBeUndefined();
    expect(await eventsOf(claimId, 'reprioritized')).toHaveLength(2);
  });

  it('article submission: the key replays the first answer and content-idempotency still finds the same article', async () => {
    const article = { title: `Idempotent intake ${randomUUID()}`, body: 'The city said unemployment fell to 4.1% last year, the lowest in a decade.' };
    const key = randomUUID();
    const first = await post('/api/articles', h.tokens.fact_checker, key, article);
    expect(first.statusCode, first.body).toBe(202);
    expect(first.json()).toMatchObject({ created: true });
    const replay = await post('/api/articles', h.tokens.fact_checker, key, article);
    expect(replay.statusCode).toBe(202);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.json()).toEqual(first.json());
    const fresh = await post('/api/articles', h.tokens.fact_checker, randomUUID(), article);
    expect(fresh.statusCode).toBe(202);
    expect(fresh.json()).toMatchObject({ created: false, article: { id: first.json<{ article: { id: string } }>().article.id } });
  });

  it('Temporal dedupes too: the same Update sent twice with one key (a lost response) applies once and answers alike', async () => {
    const claimId = await newClaim();
    await openReview(claimId);
    const actor = { name: h.names.editor, role: 'editor' as const };
    const opts = { idempotencyKey: `test:${randomUUID()}` };
    const first = await h.claimWorkflows.act(claimId, { type: 'reprioritize', actor, priority: 'urgent' }, opts);
    const second = await h.claimWorkflows.act(claimId, { type: 'reprioritize', actor, priority: 'urgent' }, opts);
    expect(second).toEqual(first);
    expect(await eventsOf(claimId, 'reprioritized')).toHaveLength(1);
    // A different key is a different Update.
    await h.claimWorkflows.act(claimId, { type: 'reprioritize', actor, priority: 'low' }, { idempotencyKey: `test:${randomUUID()}` });
    expect(await eventsOf(claimId, 'reprioritized')).toHaveLength(2);
  });

  it('a retried correction answers 202 again: by replay over HTTP, and by finding its own run when it reaches Temporal again', async () => {
    const claimId = await newClaim();
    const review = await openReview(claimId);
    expect((await post(`/api/tasks/${review.id}/claim`, h.tokens.fact_checker, randomUUID())).statusCode).toBe(200);
    expect((await post(`/api/tasks/${review.id}/verdict`, h.tokens.fact_checker, randomUUID(), verdict)).statusCode).toBe(200);
    const approval = await openTask(claimId, 'approval');
    expect((await post(`/api/tasks/${approval.id}/claim`, h.tokens.editor, randomUUID())).statusCode).toBe(200);
    const approved = await post(`/api/tasks/${approval.id}/approve`, h.tokens.editor, randomUUID());
    expect(approved.statusCode, approved.body).toBe(200);
    // The round's workflow closes shortly after the verdict is recorded; a correction is a new run after it.
    await waitFor(`claim ${claimId} round closed`, async () => (await h.env.client.workflow.getHandle(claimWorkflowId(claimId)).describe()).status.name !== 'RUNNING', 30_000);

    const key = randomUUID();
    const first = await post(`/api/claims/${claimId}/corrections`, h.tokens.editor, key, { reason: 'The agency revised its figure.' });
    expect(first.statusCode, first.body).toBe(202);
    const replay = await post(`/api/claims/${claimId}/corrections`, h.tokens.editor, key, { reason: 'The agency revised its figure.' });
    expect(replay.statusCode).toBe(202);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.json()).toEqual(first.json());

    // The API lost the first answer and its row (it died before marking it done): the retry runs again and
    // reaches the workflow client with the same scoped key, which finds the round it started instead of a 409.
    const editor = await findUserByName(h.env.db, h.names.editor);
    const actor = { name: h.names.editor, role: 'editor' as const };
    const rerun = await h.claimWorkflows.requestCorrection(claimId, actor, 'The agency revised its figure.', { idempotencyKey: `${editor?.id}:${key}` });
    expect(rerun).toEqual(first.json());
    await expect(h.claimWorkflows.requestCorrection(claimId, actor, 'Another round.', { idempotencyKey: `${editor?.id}:${randomUUID()}` })).rejects.toMatchObject({ code: 'conflict' });
  });

  it('a hand-entered claim whose API died after the insert is found again by the retry, not entered twice', async () => {
    const key = randomUUID();
    const text = `Bus fares rose by 25% on route ${randomUUID().slice(0, 8)}.`;
    const first = await post('/api/claims', h.tokens.editor, key, { text });
    expect(first.statusCode, first.body).toBe(202);
    // The first attempt's API process dies after inserting the claim, before its key records the answer: the row
    // is left in progress and, once stale, a retry takes the key over and runs the request again.
    await h.env.db
      .updateTable('idempotency_keys')
      .set({ state: 'in_progress', response_status: null, response_type: null, response_body: null, locked_at: new Date(Date.now() - 180_000) })
      .where('key', '=', key)
      .execute();
    const retry = await post('/api/claims', h.tokens.editor, key, { text });
    expect(retry.statusCode, retry.body).toBe(202);
    expect(retry.headers['idempotent-replayed']).toBeUndefined();
    expect(retry.json<{ claim: { id: string }; workflowId: string }>()).toMatchObject({ claim: { id: first.json<{ claim: { id: string } }>().claim.id }, workflowId: first.json<{ workflowId: string }>().workflowId });
    expect(await h.env.db.selectFrom('claims').select('id').where('text', '=', text).execute()).toHaveLength(1);
    // Without a key each submission is a new claim, as before.
    expect((await post('/api/claims', h.tokens.editor, null, { text })).statusCode).toBe(202);
    expect(await h.env.db.selectFrom('claims').select('id').where('text', '=', text).execute()).toHaveLength(2);
  });

  it('only state-changing /api routes carry the key hooks: a GET or a page pays nothing for them', async () => {
    const app = Fastify();
    installIdempotency(app, h.env.db);
    const hooks = new Map<string, number>();
    // Fastify adds hooks of its own (a HEAD route's body stripping): count only the key's three, by name.
    const ours = new Set(['claimKey', 'storeAnswer', 'giveBack']);
    const count = (x: unknown) => (x === undefined ? [] : Array.isArray(x) ? x : [x]).filter((f: unknown) => typeof f === 'function' && ours.has(f.name)).length;
    // Registered after installIdempotency's own onRoute hook, so it sees each route as that hook left it.
    app.addHook('onRoute', (route: RouteOptions) => {
      const methods = Array.isArray(route.method) ? route.method.join('+') : route.method;
      hooks.set(`${methods} ${route.url}`, count(route.preHandler) + count(route.onSend) + count(route.onResponse));
    });
    const ok = async () => ({ ok: true });
    app.get('/api/things', ok);
    app.post('/api/things', ok);
    app.delete('/api/things/:id', ok);
    app.route({ method: ['GET', 'PUT'], url: '/api/both', handler: ok });
    app.post('/claims/form', ok);
    await app.ready();
    expect(Object.fromEntries(hooks)).toEqual({
      'GET /api/things': 0,
      'HEAD /api/things': 0,
      'HEAD /api/both': 0,
      'POST /api/things': 3,
      'DELETE /api/things/:id': 3,
      'GET+PUT /api/both': 3,
      'POST /claims/form': 0,
    });
    await app.close();
  });
});
