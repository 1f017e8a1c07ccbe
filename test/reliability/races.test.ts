import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimWorkflowId } from '../../workflows/messages.ts';
import { openApiHarness, uniqueUser, waitTask, type ApiHarness } from '../api/support.ts';
import { sampleVerdict } from './support.ts';

const CONTENDERS = 50;

describe('reliability: races between people acting on the same claim', () => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await openApiHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  const post = (url: string, token: string, payload: unknown = {}) => h.req({ method: 'POST', url, token, payload: payload as Record<string, unknown> });

  async function newClaim(): Promise<string> {
    const res = await post('/api/claims', h.tokens.editor, { text: `Bus fares rose from 2.00 to 2.50, up 25%, on route ${Math.random().toString(36).slice(2, 10)}.` });
    expect(res.statusCode).toBe(202);
    return res.json<{ claim: { id: string } }>().claim.id;
  }

  /** Takes a claim to an approval task waiting for an editor, reviewed by the harness's fact-checker. */
  async function awaitingApproval(): Promise<{ claimId: string; approvalId: string }> {
    const claimId = await newClaim();
    const review = await waitTask(h, claimId, (t) => t.kind === 'review' && t.status === 'open');
    expect((await post(`/api/tasks/${review.id}/claim`, h.tokens.fact_checker)).statusCode).toBe(200);
    expect((await post(`/api/tasks/${review.id}/verdict`, h.tokens.fact_checker, sampleVerdict)).statusCode).toBe(200);
    const approval = await waitTask(h, claimId, (t) => t.kind === 'approval' && t.status === 'open');
    return { claimId, approvalId: approval.id };
  }

  it(`${CONTENDERS} fact-checkers claiming one task at once: exactly one holds it, the rest are told who does`, { timeout: 180_000 }, async () => {
    const claimId = await newClaim();
    const review = await waitTask(h, claimId, (t) => t.kind === 'review' && t.status === 'open');
    const people = await Promise.all(Array.from({ length: CONTENDERS }, (_, i) => uniqueUser(h.env, 'fact_checker', `racer${i}`)));
    // Each contender behaves as the API contract asks of clients: a 503 (the Update outlived its deadline on a
    // loaded machine) is sent again with the same Idempotency-Key until the real answer comes.
    const claimOnce = async (token: string) => {
      const key = randomUUID();
      for (let attempt = 0; ; attempt++) {
        const res = await h.req({ method: 'POST', url: `/api/tasks/${review.id}/claim`, token, payload: {}, headers: { 'idempotency-key': key } });
        if (res.statusCode !== 503 || attempt >= 20) return res;
        await new Promise((r) => setTimeout(r, 500));
      }
    };
    const answers = await Promise.all(people.map((p) => claimOnce(p.token)));
    const won = answers.flatMap((a, i) => (a.statusCode === 200 ? [people[i]?.name] : []));
    expect(won).toHaveLength(1);
    const holder = won[0] ?? '';
    const lost = answers.filter((a) => a.statusCode !== 200);
    expect(lost).toHaveLength(CONTENDERS - 1);
    for (const a of lost) {
      expect(a.statusCode).toBe(409);
      expect(a.headers['content-type']).toContain('application/problem+json');
      expect(a.json<{ detail: string; holder: string }>()).toMatchObject({ holder, detail: expect.stringContaining(holder) as unknown });
    }
    const task = await h.env.db.selectFrom('review_tasks').select(['status', 'assignee']).where('id', '=', review.id).executeTakeFirstOrThrow();
    expect(task).toEqual({ status: 'claimed', assignee: holder });
    const claimed = await h.env.db.selectFrom('claim_events').select('actor').where('claim_id', '=', claimId).where('type', '=', 'task_claimed').execute();
    expect(claimed).toEqual([{ actor: holder }]);
  });

  it('Updates racing the intake (its writes are local activities): every one answered, each claim reaches review at the priority last set, no workflow task fails', { timeout: 180_000 }, async () => {
    const CLAIMS = 8;
    const CHANGES = 6;
    const priorities = ['low', 'normal', 'high', 'urgent'] as const;
    const claimIds = await Promise.all(Array.from({ length: CLAIMS }, () => newClaim()));
    // Sent at once, while each claim is still beginning its run and researching: the changes race the intake's own
    // writes, and one claim in four is withdrawn in the middle of them.
    const sent = await Promise.all(
      claimIds.map(async (claimId, c) => {
        const changes = Array.from({ length: CHANGES }, (_, i) => priorities[(c + i) % priorities.length] ?? 'normal');
        const answers = await Promise.all([
          ...changes.map((priority) => post(`/api/claims/${claimId}/priority`, h.tokens.editor, { priority })),
          ...(c % 4 === 0 ? [post(`/api/claims/${claimId}/withdraw`, h.tokens.editor2, { reason: 'Pulled from the story before review.' })] : []),
        ]);
        return { claimId, withdrawn: c % 4 === 0, answers };
      }),
    );
    for (const { claimId, withdrawn, answers } of sent) {
      // 200, or 409 for a change that came after the withdrawal: never a 5xx, never an Update lost.
      for (const a of answers) expect([200, 409], `${claimId}: ${a.statusCode} ${a.body}`).toContain(a.statusCode);
      if (!withdrawn) expect(answers.every((a) => a.statusCode === 200), `${claimId}: ${answers.map((a) => a.body).join(' | ')}`).toBe(true);
      if (withdrawn) {
        expect((await h.env.client.workflow.getHandle(claimWorkflowId(claimId)).result()).status).toBe('withdrawn');
        const open = await h.env.db.selectFrom('review_tasks').select('id').where('claim_id', '=', claimId).where('status', 'in', ['open', 'claimed']).execute();
        expect(open).toEqual([]);
        continue;
      }
      const review = await waitTask(h, claimId, (t) => t.kind === 'review' && t.status === 'open');
      // The last change the workflow applied is what the claim, its task and the audit trail all say.
      const changed = await h.env.db.selectFrom('claim_events').select(['payload', 'id']).where('claim_id', '=', claimId).where('type', '=', 'reprioritized').orderBy('id').execute();
      expect(changed).toHaveLength(CHANGES);
      const last = (changed.at(-1)?.payload as { to: string }).to;
      const row = await h.env.db.selectFrom('claims').select('priority').where('id', '=', claimId).executeTakeFirstOrThrow();
      expect(row.priority).toBe(last);
      const task = await h.env.db.selectFrom('review_tasks').select('priority').where('id', '=', review.id).executeTakeFirstOrThrow();
      expect(task.priority).toBe(last);
      const reviews = await h.env.db.selectFrom('review_tasks').select('id').where('claim_id', '=', claimId).where('kind', '=', 'review').execute();
      expect(reviews).toHaveLength(1);
    }
    // The race took place: some changes were written before their claim's review opened, inside the intake.
    const trail = await h.env.db.selectFrom('claim_events').select(['claim_id', 'type']).where('claim_id', 'in', claimIds).where('type', 'in', ['reprioritized', 'review_opened']).orderBy('id').execute();
    const duringIntake = trail.filter((e, i) => e.type === 'reprioritized' && trail.slice(i + 1).some((later) => later.claim_id === e.claim_id && later.type === 'review_opened'));
    expect(duringIntake.length).toBeGreaterThan(0);
    for (const { claimId } of sent) {
      const events = (await h.env.client.workflow.getHandle(claimWorkflowId(claimId)).fetchHistory()).events ?? [];
      expect(events.filter((e) => e.workflowTaskFailedEventAttributes || e.workflowTaskTimedOutEventAttributes), claimId).toEqual([]);
    }
  });

  it('approve racing withdraw: one wins, the other is refused, and Postgres agrees with the workflow', { timeout: 120_000 }, async () => {
    const outcomes: string[] = [];
    for (let i = 0; i < 4; i++) {
      const { claimId, approvalId } = await awaitingApproval();
      expect((await post(`/api/tasks/${approvalId}/claim`, h.tokens.editor)).statusCode).toBe(200);
      // Alternate who is sent first, so both orders get their chance.
      const approve = () => post(`/api/tasks/${approvalId}/approve`, h.tokens.editor);
      const withdraw = () => post(`/api/claims/${claimId}/withdraw`, h.tokens.editor2, { reason: 'The claim was retracted by its source.' });
      const [a, w] = i % 2 === 0 ? await Promise.all([approve(), withdraw()]) : (await Promise.all([withdraw(), approve()])).reverse();
      const statuses = [a?.statusCode, w?.statusCode].sort();
      expect(statuses, `approve ${a?.body} / withdraw ${w?.body}`).toEqual([200, 409]);
      const winner = a?.statusCode === 200 ? 'verdict_recorded' : 'withdrawn';
      outcomes.push(winner);
      const result = await h.env.client.workflow.getHandle(claimWorkflowId(claimId)).result();
      expect(result).toMatchObject({ status: winner });
      const row = await h.env.db.selectFrom('claims').select('status').where('id', '=', claimId).executeTakeFirstOrThrow();
      expect(row.status).toBe(winner);
      const verdicts = await h.env.db.selectFrom('verdicts').select('version').where('claim_id', '=', claimId).execute();
      expect(verdicts).toHaveLength(winner === 'verdict_recorded' ? 1 : 0);
      const tasks = await h.env.db.selectFrom('review_tasks').select(['kind', 'status']).where('claim_id', '=', claimId).execute();
      expect(tasks.filter((t) => t.status === 'open' || t.status === 'claimed')).toEqual([]);
    }
    expect(outcomes).toHaveLength(4);
  });

  it('a correction racing a second correction: one opens the round, the other is refused with 409', { timeout: 120_000 }, async () => {
    const { claimId, approvalId } = await awaitingApproval();
    expect((await post(`/api/tasks/${approvalId}/claim`, h.tokens.editor)).statusCode).toBe(200);
    expect((await post(`/api/tasks/${approvalId}/approve`, h.tokens.editor)).statusCode).toBe(200);
    await h.env.client.workflow.getHandle(claimWorkflowId(claimId)).result();

    const [first, second] = await Promise.all([
      post(`/api/claims/${claimId}/corrections`, h.tokens.editor, { reason: 'The agency revised its figures.' }),
      post(`/api/claims/${claimId}/corrections`, h.tokens.editor2, { reason: 'A reader sent the newer release.' }),
    ]);
    expect([first?.statusCode, second?.statusCode].sort()).toEqual([202, 409]);
    const refused = first?.statusCode === 409 ? first : second;
    expect(refused?.headers['content-type']).toContain('application/problem+json');
    expect(refused?.json<{ detail: string }>().detail).toMatch(/open round/);

    // Exactly one correction round runs: one correction_opened event, one open review task, and it ends in version 2.
    const review = await waitTask(h, claimId, (t) => t.kind === 'review' && t.status === 'open');
    const opened = await h.env.db.selectFrom('claim_events').select('actor').where('claim_id', '=', claimId).where('type', '=', 'correction_opened').execute();
    expect(opened).toHaveLength(1);
    const reviews = await h.env.db.selectFrom('review_tasks').select('id').where('claim_id', '=', claimId).where('kind', '=', 'review').where('status', '=', 'open').execute();
    expect(reviews).toEqual([{ id: review.id }]);
    expect((await post(`/api/tasks/${review.id}/claim`, h.tokens.fact_checker2)).statusCode).toBe(200);
    expect((await post(`/api/tasks/${review.id}/verdict`, h.tokens.fact_checker2, sampleVerdict)).statusCode).toBe(200);
    const approval = await waitTask(h, claimId, (t) => t.kind === 'approval' && t.status === 'open');
    expect((await post(`/api/tasks/${approval.id}/claim`, h.tokens.editor2)).statusCode).toBe(200);
    expect((await post(`/api/tasks/${approval.id}/approve`, h.tokens.editor2)).statusCode).toBe(200);
    expect(await h.env.client.workflow.getHandle(claimWorkflowId(claimId)).result()).toMatchObject({ status: 'verdict_recorded', version: 2 });
    const versions = await h.env.db.selectFrom('verdicts').select('version').where('claim_id', '=', claimId).orderBy('version').execute();
    expect(versions.map((v) => v.version)).toEqual([1, 2]);
  });
});
