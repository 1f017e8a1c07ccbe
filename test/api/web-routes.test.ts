import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SESSION_COOKIE } from '../../src/api/session.ts';
import { openApiHarness, uniqueArticle, type ApiHarness, waitTask as waitTaskOf, type ApiTask } from './support.ts';

type Task = ApiTask;

describe('admin routes', () => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await openApiHarness({ worker: false });
  });
  afterAll(async () => h.close());

  const signIn = (name: string, password: string) => h.app.inject({ method: 'POST', url: '/api/session', payload: { name, password } });
  const cookieOf = (res: { headers: Record<string, unknown> }) => String(res.headers['set-cookie']).split(';')[0] ?? '';

  it('creates a user with a password, lists, changes role, resets the password (ending sessions) and disables', async () => {
    const name = `adm-${randomUUID().slice(0, 8)}`;
    const created = await h.req({ method: 'POST', url: '/api/users', token: h.tokens.admin, payload: { name, role: 'fact_checker', password: 'initial-pass-1' } });
    expect(created.statusCode, created.body).toBe(201);
    const { user, token } = created.json<{ user: { id: string }; token: string }>();
    expect(token).toMatch(/^cdk_/);
    const short = await h.req({ method: 'POST', url: '/api/users', token: h.tokens.admin, payload: { name: `${name}-x`, role: 'editor', password: 'short' } });
    expect(short.statusCode).toBe(400);
    expect(short.json().errors[0].field).toBe('password');

    const list = await h.req({ method: 'GET', url: '/api/users', token: h.tokens.admin });
    expect(list.statusCode).toBe(200);
    const items = list.json<{ items: { id: string; name: string; hasPassword: boolean; disabled: boolean; role: string }[] }>().items;
    expect(items.find((u) => u.id === user.id)).toMatchObject({ name, role: 'fact_checker', hasPassword: true, disabled: false });
    expect(items.find((u) => u.name === h.names.editor)).toMatchObject({ hasPassword: false });
    expect(JSON.stringify(list.json())).not.toMatch(/scrypt|password_hash|token_hash/);

    const session = cookieOf(await signIn(name, 'initial-pass-1'));
    expect((await h.app.inject({ method: 'GET', url: '/api/session', headers: { cookie: session } })).statusCode).toBe(200);

    const patched = await h.req({ method: 'PATCH', url: `/api/users/${user.id}`, token: h.tokens.admin, payload: { role: 'editor' } });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json()).toMatchObject({ user: { id: user.id, role: 'editor' } });
    expect((await h.req({ method: 'PATCH', url: `/api/users/${user.id}`, token: h.tokens.admin, payload: {} })).json().errors[0].field).toBe('role');
    expect((await h.req({ method: 'PATCH', url: `/api/users/${user.id}`, token: h.tokens.admin, payload: { role: 'boss' } })).json().errors[0].field).toBe('role');
    expect((await h.req({ method: 'PATCH', url: '/api/users/999999999', token: h.tokens.admin, payload: { role: 'editor' } })).statusCode).toBe(404);

    const reset = await h.req({ method: 'POST', url: `/api/users/${user.id}/password`, token: h.tokens.admin, payload: { password: 'replaced-pass-2' } });
    expect(reset.statusCode, reset.body).toBe(200);
    expect(reset.json()).toMatchObject({ sessionsEnded: 1, user: { hasPassword: true } });
    expect((await h.app.inject({ method: 'GET', url: '/api/session', headers: { cookie: session } })).statusCode).toBe(401);
    expect((await signIn(name, 'initial-pass-1')).statusCode).toBe(401);
    const second = cookieOf(await signIn(name, 'replaced-pass-2'));
    expect((await h.req({ method: 'POST', url: `/api/users/${user.id}/password`, token: h.tokens.admin, payload: { password: 'x' } })).json().errors[0].field).toBe('password');
    expect((await h.req({ method: 'POST', url: `/api/users/${user.id}/password`, token: h.tokens.admin, payload: {} })).json().errors[0].field).toBe('password');

    const disabled = await h.req({ method: 'PATCH', url: `/api/users/${user.id}`, token: h.tokens.admin, payload: { disabled: true } });
    expect(disabled.json()).toMatchObject({ user: { disabled: true } });
    expect((await h.app.inject({ method: 'GET', url: '/api/session', headers: { cookie: second } })).statusCode).toBe(401);
    expect((await h.req({ method: 'GET', url: '/api/me', token })).statusCode).toBe(401);
    expect((await signIn(name, 'replaced-pass-2')).statusCode).toBe(401);
    await h.req({ method: 'PATCH', url: `/api/users/${user.id}`, token: h.tokens.admin, payload: { disabled: false } });
    expect((await h.req({ method: 'GET', url: '/api/me', token })).statusCode).toBe(200);

    // An admin cannot lock themselves out.
    const me = (await h.req({ method: 'GET', url: '/api/me', token: h.tokens.admin })).json<{ user: { id: string } }>().user;
    expect((await h.req({ method: 'PATCH', url: `/api/users/${me.id}`, token: h.tokens.admin, payload: { disabled: true } })).statusCode).toBe(409);
    // Not by writing the same id with leading zeros either (Postgres reads 007 as 7).
    expect((await h.req({ method: 'PATCH', url: `/api/users/000${me.id}`, token: h.tokens.admin, payload: { disabled: true } })).statusCode).toBe(409);
    expect((await h.req({ method: 'GET', url: '/api/me', token: h.tokens.admin })).statusCode).toBe(200);
  });

  it('lists, issues and revokes tokens without ever listing a token value', async () => {
    const me = (await h.req({ method: 'GET', url: '/api/me', token: h.tokens.fact_checker })).json<{ user: { id: string } }>().user;
    const issued = await h.req({ method: 'POST', url: `/api/users/${me.id}/tokens`, token: h.tokens.admin, payload: { label: 'laptop' } });
    expect(issued.statusCode, issued.body).toBe(201);
    const { token, item } = issued.json<{ token: string; item: { id: string; label: string } }>();
    expect(item.label).toBe('laptop');
    expect((await h.req({ method: 'GET', url: '/api/me', token })).statusCode).toBe(200);
    const listed = await h.req({ method: 'GET', url: `/api/users/${me.id}/tokens`, token: h.tokens.admin });
    expect(listed.json<{ items: { id: string }[] }>().items.map((t) => t.id)).toContain(item.id);
    expect(listed.body).not.toContain(token);
    expect((await h.req({ method: 'DELETE', url: `/api/tokens/${item.id}`, token: h.tokens.admin })).statusCode).toBe(204);
    expect((await h.req({ method: 'GET', url: '/api/me', token })).statusCode).toBe(401);
    expect((await h.req({ method: 'DELETE', url: '/api/tokens/999999999', token: h.tokens.admin })).statusCode).toBe(404);
    expect((await h.req({ method: 'DELETE', url: '/api/tokens/abc', token: h.tokens.admin })).json().errors[0].field).toBe('params.id');
    expect((await h.req({ method: 'GET', url: '/api/users/999999999/tokens', token: h.tokens.admin })).statusCode).toBe(404);
  });

  it('shows the review policy in force (this harness runs a fixed one, version 0)', async () => {
    const res = await h.req({ method: 'GET', url: '/api/policy', token: h.tokens.admin });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ version: 0, policy: h.claimWorkflows.fixedPolicy, note: null, createdBy: null, createdAt: null, fixed: true });
  });

  it('previews the claims of an article and stores nothing', async () => {
    const a = uniqueArticle();
    const tag = /\(ref (\w+)\)/.exec(a.body)?.[1] ?? '';
    // Other test files write to the same database at the same time: count only rows this article could have made.
    const count = async () => ({
      articles: Number((await h.env.db.selectFrom('articles').select(({ fn }) => fn.countAll<string>().as('n')).where('body', 'like', `%${tag}%`).executeTakeFirstOrThrow()).n),
      claims: Number((await h.env.db.selectFrom('claims').select(({ fn }) => fn.countAll<string>().as('n')).where('text', 'like', `%${tag}%`).executeTakeFirstOrThrow()).n),
      events: Number((await h.env.db.selectFrom('claim_events').select(({ fn }) => fn.countAll<string>().as('n')).where('actor', '=', h.names.fact_checker).executeTakeFirstOrThrow()).n),
    });
    expect(tag).not.toBe('');
    const before = await count();
    expect(before).toEqual({ articles: 0, claims: 0, events: 0 });
    const res = await h.req({ method: 'POST', url: '/api/articles/preview', token: h.tokens.fact_checker, payload: { title: a.title, body: a.body } });
    expect(res.statusCode, res.body).toBe(200);
    const { claims } = res.json<{ claims: { text: string; start: number; end: number; score: number; features: string[] }[] }>();
    expect(claims.length).toBeGreaterThan(0);
    expect(claims.some((c) => c.text.includes(tag))).toBe(true);
    for (const c of claims) {
      expect(a.body.slice(c.start, c.end)).toBe(c.text);
      expect(c.score).toBeGreaterThanOrEqual(h.config.EXTRACTION_THRESHOLD);
    }
    expect(await count()).toEqual(before);
    expect((await h.req({ method: 'POST', url: '/api/articles/preview', token: h.tokens.fact_checker, payload: { title: 'x' } })).json().errors[0].field).toBe('body');
    const nul = await h.req({ method: 'POST', url: '/api/articles/preview', token: h.tokens.fact_checker, payload: { body: 'A\u0000B' } });
    expect(nul.statusCode).toBe(400);
    expect(nul.json().errors[0].field).toBe('body');
  });

  it('reads a transcript as one (auto-detected or told), stores its kind, and names a bad kind in a 400', async () => {
    const tag = `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
    const body = [
      '[00:00:05] MODERATOR: Good evening and welcome to the debate.',
      `[00:00:12] SEN. WARREN: We have cut the deficit in half since 2020 in ${tag}.`,
      '(APPLAUSE)',
      'GOV. SMITH: He voted against the infrastructure bill three times.',
      'MODERATOR: Thank you both.',
      '',
    ].join('\n');
    const res = await h.req({ method: 'POST', url: '/api/articles/preview', token: h.tokens.fact_checker, payload: { body } });
    expect(res.statusCode, res.body).toBe(200);
    const preview = res.json<{ kind: string; threshold: number; claims: { text: string; start: number; end: number; claimant: string | null; timestamp?: string | null }[] }>();
    expect(preview.kind).toBe('transcript');
    expect(preview.threshold).toBe(h.config.EXTRACTION_THRESHOLD_TRANSCRIPT);
    const deficit = preview.claims.find((c) => c.text.includes(tag));
    expect(deficit).toMatchObject({ claimant: 'SEN. WARREN', timestamp: '00:00:12' });
    for (const c of preview.claims) expect(body.slice(c.start, c.end)).toBe(c.text);
    expect(preview.claims.some((c) => c.text.includes('APPLAUSE'))).toBe(false);

    const bad = await h.req({ method: 'POST', url: '/api/articles/preview', token: h.tokens.fact_checker, payload: { body, kind: 'podcast' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].field).toBe('kind');
    const badSubmit = await h.req({ method: 'POST', url: '/api/articles', token: h.tokens.fact_checker, payload: { title: tag, body, kind: 'podcast' } });
    expect(badSubmit.statusCode).toBe(400);
    expect(badSubmit.json().errors[0].field).toBe('kind');

    const submitted = await h.req({ method: 'POST', url: '/api/articles', token: h.tokens.fact_checker, payload: { title: `Debate ${tag}`, body } });
    expect(submitted.statusCode, submitted.body).toBe(202);
    expect(submitted.json().article.kind).toBe('transcript');
    // Told it is news, the same words are read as news.
    const asNews = await h.req({ method: 'POST', url: '/api/articles/preview', token: h.tokens.fact_checker, payload: { body, kind: 'news' } });
    expect(asNews.json().kind).toBe('news');
  });
});

describe('evidence by people, queue filters and the dashboard additions', () => {
  let h: ApiHarness;
  let baseUrl: string;
  beforeAll(async () => {
    h = await openApiHarness({ heartbeatMs: 200, config: { TEMPORAL_UI_URL: 'http://temporal-ui.example:8233/' } });
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    baseUrl = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => h.close());

  const waitTask = (claimId: string, pred: (t: Task) => boolean): Promise<Task> => waitTaskOf(h, claimId, pred);

  /** Reads the SSE stream until an event of `type` arrives. */
  async function nextEvent(claimId: string, type: string, trigger: () => Promise<void>): Promise<Record<string, unknown>> {
    const controller = new AbortController();
    const res = await fetch(`${baseUrl}/api/events?claimId=${claimId}`, { headers: { authorization: `Bearer ${h.tokens.editor}` }, signal: controller.signal });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    while (!text.includes(': connected')) text += new TextDecoder().decode((await reader.read()).value);
    await trigger();
    try {
      for (;;) {
        const match = [...text.matchAll(/^data: (.+)$/gm)].map((m) => JSON.parse(m[1] ?? '{}') as Record<string, unknown>).find((e) => e.type === type);
        if (match) return match;
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended before ${type}`);
        text += new TextDecoder().decode(value);
      }
    } finally {
      controller.abort();
    }
  }

  it('lets the task holder and editors add evidence and change its stance, audited and live; others get 403', async () => {
    const created = await h.req({ method: 'POST', url: '/api/claims', token: h.tokens.fact_checker, payload: { text: `Tram ridership rose by 25% in ${Date.now()} according to the transport authority.` } });
    expect(created.statusCode).toBe(202);
    const claimId = created.json<{ claim: { id: string } }>().claim.id;
    const review = await waitTask(claimId, (t) => t.kind === 'review' && t.status === 'open');
    const body = { url: `https://stats.example.gov/trams-${randomUUID().slice(0, 6)}`, quote: 'Tram trips rose from 8.0m to 10.0m.', stance: 'supports' };

    // Before anyone holds the task, a fact-checker may not add evidence; an editor may.
    expect((await h.req({ method: 'POST', url: `/api/claims/${claimId}/evidence`, token: h.tokens.fact_checker, payload: body })).statusCode).toBe(403);
    expect((await h.req({ method: 'POST', url: `/api/tasks/${review.id}/claim`, token: h.tokens.fact_checker })).statusCode).toBe(200);
    expect((await h.req({ method: 'POST', url: `/api/claims/${claimId}/evidence`, token: h.tokens.fact_checker2, payload: body })).statusCode).toBe(403);

    let added: { id: string; foundBy: string; stance: string } | undefined;
    const event = await nextEvent(claimId, 'evidence_added', async () => {
      const res = await h.req({ method: 'POST', url: `/api/claims/${claimId}/evidence`, token: h.tokens.fact_checker, payload: body });
      expect(res.statusCode, res.body).toBe(201);
      added = res.json<{ evidence: typeof added }>().evidence;
    });
    expect(added).toMatchObject({ foundBy: h.names.fact_checker, stance: 'supports' });
    expect(event).toMatchObject({ claimId, type: 'evidence_added', evidenceId: added?.id });
    // The same url and quote again is the same evidence.
    const again = await h.req({ method: 'POST', url: `/api/claims/${claimId}/evidence`, token: h.tokens.fact_checker, payload: body });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ evidence: { id: added?.id } });

    const byEditor = await h.req({ method: 'POST', url: `/api/claims/${claimId}/evidence`, token: h.tokens.editor, payload: { ...body, quote: 'Another quote.', stance: 'context', title: 'Annual report' } });
    expect(byEditor.statusCode).toBe(201);

    const stanceEvent = await nextEvent(claimId, 'evidence_stance_changed', async () => {
      const res = await h.req({ method: 'PATCH', url: `/api/claims/${claimId}/evidence/${added?.id}`, token: h.tokens.fact_checker, headers: { 'idempotency-key': 'stance-change-key-1' }, payload: { stance: 'refutes' } });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ evidence: { id: added?.id, stance: 'refutes' } });
    });
    expect(stanceEvent).toMatchObject({ evidenceId: added?.id });
    expect((await h.req({ method: 'PATCH', url: `/api/claims/${claimId}/evidence/${added?.id}`, token: h.tokens.fact_checker2, payload: { stance: 'context' } })).statusCode).toBe(403);

    const detail = (await h.req({ method: 'GET', url: `/api/claims/${claimId}`, token: h.tokens.editor })).json<{ events: { type: string; actor: string; payload: Record<string, unknown> }[] }>();
    const audit = detail.events.filter((e) => e.type.startsWith('evidence_'));
    expect(audit).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'evidence_added', actor: h.names.fact_checker }),
        expect.objectContaining({ type: 'evidence_added', actor: h.names.editor }),
        expect.objectContaining({ type: 'evidence_stance_changed', actor: h.names.fact_checker, payload: expect.objectContaining({ from: 'supports', to: 'refutes' }) }),
      ]),
    );
    expect(audit).toHaveLength(3);

    // Bad input names the field; unknown ids are 404s.
    const bad = await h.req({ method: 'POST', url: `/api/claims/${claimId}/evidence`, token: h.tokens.editor, payload: { ...body, url: 'javascript:alert(1)' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].field).toBe('url');
    expect((await h.req({ method: 'PATCH', url: `/api/claims/${claimId}/evidence/${added?.id}`, token: h.tokens.editor, payload: { stance: 'maybe' } })).json().errors[0].field).toBe('stance');
    expect((await h.req({ method: 'PATCH', url: `/api/claims/${claimId}/evidence/999999999`, token: h.tokens.editor, payload: { stance: 'context' } })).statusCode).toBe(404);
    expect((await h.req({ method: 'POST', url: '/api/claims/999999999/evidence', token: h.tokens.editor, payload: body })).statusCode).toBe(404);

    // Queue filters: the claimed task is the holder's own, taken for everyone else.
    const ids = async (token: string, query: string) => {
      const res = await h.req({ method: 'GET', url: `/api/queue?kind=review&limit=200&${query}`, token });
      expect(res.statusCode, res.body).toBe(200);
      return res.json<{ items: { task: { id: string } }[] }>().items.map((i) => i.task.id);
    };
    expect(await ids(h.tokens.fact_checker, 'filter=mine')).toContain(review.id);
    expect(await ids(h.tokens.fact_checker2, 'filter=mine')).not.toContain(review.id);
    expect(await ids(h.tokens.fact_checker2, 'filter=unassigned')).not.toContain(review.id);
    expect(await ids(h.tokens.fact_checker2, 'filter=open')).toContain(review.id);
    expect(await ids(h.tokens.fact_checker, 'filter=mine&priority=normal')).toContain(review.id);
    expect(await ids(h.tokens.fact_checker, 'filter=mine&priority=urgent')).not.toContain(review.id);
    expect(await ids(h.tokens.fact_checker, 'filter=overdue')).not.toContain(review.id);
    const badFilter = await h.req({ method: 'GET', url: '/api/queue?kind=review&filter=everything', token: h.tokens.fact_checker });
    expect(badFilter.statusCode).toBe(400);
    expect(badFilter.json().errors[0].field).toBe('querystring.filter');

    // The dashboard shows the claimed task as aging work and links to the Temporal UI.
    const dash = await h.req({ method: 'GET', url: '/api/dashboard', token: h.tokens.editor });
    expect(dash.statusCode, dash.body).toBe(200);
    const d = dash.json<{ aging: { taskId: string; kind: string; ageSeconds: number }[]; agingPercentiles: Record<string, { p50: number | null; p85: number | null }>; timeToVerdict: unknown[]; failing: unknown[]; temporalUiUrl: string | null; temporalNamespace: string }>();
    expect(d.aging.find((a) => a.taskId === review.id)).toMatchObject({ kind: 'review' });
    expect(Object.keys(d.agingPercentiles).sort()).toEqual(['approval', 'review']);
    expect(Array.isArray(d.timeToVerdict)).toBe(true);
    expect(Array.isArray(d.failing)).toBe(true);
    expect(d.temporalUiUrl).toBe('http://temporal-ui.example:8233');
    expect(d.temporalNamespace).toBe(h.config.TEMPORAL_NAMESPACE);

    // Withdrawn claims take no more evidence.
    expect((await h.req({ method: 'POST', url: `/api/claims/${claimId}/withdraw`, token: h.tokens.editor, payload: { reason: 'test over' } })).statusCode).toBe(200);
    expect((await h.req({ method: 'POST', url: `/api/claims/${claimId}/evidence`, token: h.tokens.editor, payload: { ...body, quote: 'late' } })).statusCode).toBe(409);
  });

  it('accepts the session cookie for evidence changes only from the same origin', async () => {
    const { hashPassword } = await import('../../src/accounts/passwords.ts');
    const { setPasswordHash } = await import('../../db/repositories/sessions.ts');
    await setPasswordHash(h.env.db, { name: h.names.editor2 }, await hashPassword('editor-two-pass'));
    const signed = await h.app.inject({ method: 'POST', url: '/api/session', payload: { name: h.names.editor2, password: 'editor-two-pass' } });
    const cookie = String(signed.headers['set-cookie']).split(';')[0] ?? '';
    expect(cookie.startsWith(`${SESSION_COOKIE}=`)).toBe(true);
    const claimId = (await h.req({ method: 'POST', url: '/api/claims', token: h.tokens.editor, payload: { text: `Ferry fares rose 12% in ${Date.now()}.` } })).json<{ claim: { id: string } }>().claim.id;
    const payload = { url: 'https://ferries.example.org/fares', quote: 'Fares rose by 12 per cent.', stance: 'supports' };
    const cross = await h.app.inject({ method: 'POST', url: `/api/claims/${claimId}/evidence`, headers: { cookie, host: 'desk.example', origin: 'https://elsewhere.example' }, payload });
    expect(cross.statusCode).toBe(403);
    const same = await h.app.inject({ method: 'POST', url: `/api/claims/${claimId}/evidence`, headers: { cookie, host: 'desk.example', origin: 'https://desk.example' }, payload });
    expect(same.statusCode, same.body).toBe(201);
  });
});
