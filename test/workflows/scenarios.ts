import { createHash } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { Db } from '../../db/index.ts';
import { DEFAULT_REVIEW_POLICY, type ReviewPolicy } from '../../src/domain/review.ts';
import { createClaimWorkflows } from '../../src/claims-client/claim-workflows.ts';
import { articleWorkflowId, claimWorkflowId, type ClaimWorkflowInput } from '../../workflows/messages.ts';
import type { Actor } from '../../src/domain/review.ts';
import type { TaskKind } from '../../src/domain/types.ts';
import { alice, erin, eventTypes, eventually, fred, insertClaim, sampleVerdict, tasksOf, waitForTask } from './support.ts';

interface ScenarioContext {
  db: Db;
  client: Client;
  taskQueue: string;
}

/** One recorded path through the workflows: drives real runs and names the executions whose histories to keep. */
export interface Scenario {
  name: string;
  run(ctx: ScenarioContext): Promise<Array<{ workflowId: string; runId?: string }>>;
}

type Flows = ReturnType<typeof createClaimWorkflows>;

const quickPolicy: ReviewPolicy = {
  ...DEFAULT_REVIEW_POLICY,
  claimSlaMs: { low: 1000, normal: 1000, high: 1000, urgent: 1000 },
  leaseMs: 1500,
  maxEscalations: 2,
};

/** A fresh claim with its workflow started, and the client that drives it. */
async function startedClaim({ db, client, taskQueue }: ScenarioContext, policy?: ReviewPolicy): Promise<{ flows: Flows; claimId: string }> {
  const flows = createClaimWorkflows(client, { taskQueue, db, ...(policy ? { policy } : {}) });
  const claimId = await insertClaim(db);
  await flows.startClaim(claimId);
  return { flows, claimId };
}

/** Waits for the claim's open task of that kind and claims it for the actor. */
async function claimNext(db: Db, flows: Flows, claimId: string, kind: TaskKind, actor: Actor): Promise<{ id: string }> {
  const task = await waitForTask(db, claimId, kind);
  await flows.act(claimId, { type: 'claim', taskId: task.id, actor });
  return task;
}

async function reviewAndApprove(db: Db, flows: Flows, claimId: string): Promise<void> {
  const review = await claimNext(db, flows, claimId, 'review', alice);
  await flows.act(claimId, { type: 'submitVerdict', taskId: review.id, actor: alice, verdict: sampleVerdict });
  const approval = await claimNext(db, flows, claimId, 'approval', erin);
  await flows.act(claimId, { type: 'approve', taskId: approval.id, actor: erin });
}

async function finished(client: Client, workflowId: string): Promise<{ workflowId: string; runId: string }> {
  const handle = client.workflow.getHandle(workflowId);
  await handle.result();
  const d = await handle.describe();
  return { workflowId, runId: d.runId };
}

export const SCENARIOS: Scenario[] = [
  {
    name: 'happy-path',
    async run({ db, client, taskQueue }) {
      const { flows, claimId } = await startedClaim({ db, client, taskQueue });
      await reviewAndApprove(db, flows, claimId);
      return [await finished(client, claimWorkflowId(claimId))];
    },
  },
  {
    name: 'send-back',
    async run({ db, client, taskQueue }) {
      const { flows, claimId } = await startedClaim({ db, client, taskQueue });
      const review = await claimNext(db, flows, claimId, 'review', alice);
      await flows.act(claimId, { type: 'submitVerdict', taskId: review.id, actor: alice, verdict: sampleVerdict });
      const approval = await claimNext(db, flows, claimId, 'approval', erin);
      await flows.act(claimId, { type: 'sendBack', taskId: approval.id, actor: erin, comment: 'Cite the primary source.' });
      const round2 = await waitForTask(db, claimId, 'review', 'claimed');
      await flows.act(claimId, { type: 'submitVerdict', taskId: round2.id, actor: alice, verdict: sampleVerdict });
      const approval2 = await claimNext(db, flows, claimId, 'approval', fred);
      await flows.act(claimId, { type: 'approve', taskId: approval2.id, actor: fred });
      return [await finished(client, claimWorkflowId(claimId))];
    },
  },
  {
    name: 'withdraw',
    async run({ db, client, taskQueue }) {
      const { flows, claimId } = await startedClaim({ db, client, taskQueue });
      await claimNext(db, flows, claimId, 'review', alice);
      await flows.act(claimId, { type: 'withdraw', actor: erin, reason: 'story spiked' });
      return [await finished(client, claimWorkflowId(claimId))];
    },
  },
  {
    name: 'correction',
    async run({ db, client, taskQueue }) {
      const { flows, claimId } = await startedClaim({ db, client, taskQueue });
      await reviewAndApprove(db, flows, claimId);
      const first = await finished(client, claimWorkflowId(claimId));
      await flows.requestCorrection(claimId, fred, 'The source was revised.');
      await eventually('correction review task', async () => (await tasksOf(db, claimId)).filter((t) => t.kind === 'review').length === 2);
      await reviewAndApprove(db, flows, claimId);
      return [first, await finished(client, claimWorkflowId(claimId))];
    },
  },
  {
    name: 'escalation-and-lease',
    async run({ db, client, taskQueue }) {
      const { flows, claimId } = await startedClaim({ db, client, taskQueue }, quickPolicy);
      await eventually('two escalations', async () => (await eventTypes(db, claimId)).filter((t) => t === 'escalated').length === 2);
      await claimNext(db, flows, claimId, 'review', alice);
      await eventually('lease expiry', async () => (await eventTypes(db, claimId)).includes('lease_expired'));
      await flows.act(claimId, { type: 'withdraw', actor: erin, reason: 'done recording' });
      return [await finished(client, claimWorkflowId(claimId))];
    },
  },
  {
    name: 'lease-renewal',
    async run({ db, client, taskQueue }) {
      const { flows, claimId } = await startedClaim({ db, client, taskQueue });
      const review = await claimNext(db, flows, claimId, 'review', alice);
      await flows.act(claimId, { type: 'renewLease', taskId: review.id, actor: alice });
      // Claiming a task already held renews it too.
      await flows.act(claimId, { type: 'claim', taskId: review.id, actor: alice });
      await flows.act(claimId, { type: 'submitVerdict', taskId: review.id, actor: alice, verdict: sampleVerdict });
      const approval = await claimNext(db, flows, claimId, 'approval', erin);
      await flows.act(claimId, { type: 'renewLease', taskId: approval.id, actor: erin });
      await flows.act(claimId, { type: 'approve', taskId: approval.id, actor: erin });
      return [await finished(client, claimWorkflowId(claimId))];
    },
  },
  {
    name: 'correction-withdrawn',
    async run({ db, client, taskQueue }) {
      const { flows, claimId } = await startedClaim({ db, client, taskQueue });
      await reviewAndApprove(db, flows, claimId);
      await finished(client, claimWorkflowId(claimId));
      await flows.requestCorrection(claimId, fred, 'A reader disputes the figure.');
      await eventually('correction review task', async () => (await tasksOf(db, claimId)).filter((t) => t.kind === 'review').length === 2);
      await flows.act(claimId, { type: 'withdraw', actor: fred, reason: 'The reader misread the table.' });
      return [await finished(client, claimWorkflowId(claimId))];
    },
  },
  {
    // Cancelled by an operator in Temporal (not withdrawn): the run writes a withdrawal, then ends as cancelled.
    name: 'operator-cancel',
    async run({ db, client, taskQueue }) {
      const { flows, claimId } = await startedClaim({ db, client, taskQueue });
      await claimNext(db, flows, claimId, 'review', alice);
      const handle = client.workflow.getHandle(claimWorkflowId(claimId));
      await handle.cancel();
      await handle.result().catch(() => undefined);
      return [{ workflowId: claimWorkflowId(claimId), runId: (await handle.describe()).runId }];
    },
  },
  {
    name: 'continue-as-new',
    async run({ db, client, taskQueue }) {
      const flows = createClaimWorkflows(client, { taskQueue, db });
      const claimId = await insertClaim(db);
      const input: ClaimWorkflowInput = { claimId, policy: DEFAULT_REVIEW_POLICY, mode: 'initial', continueAsNewAfterEvents: 40 };
      const first = await client.workflow.start('claimVerificationWorkflow', { taskQueue, workflowId: claimWorkflowId(claimId), args: [input] });
      const review = await waitForTask(db, claimId, 'review');
      // Claim and release until the history passes the limit and the run continues as new.
      for (let i = 0; i < 6; i++) {
        await flows.act(claimId, { type: 'claim', taskId: review.id, actor: alice });
        await flows.act(claimId, { type: 'release', taskId: review.id, actor: alice });
      }
      await reviewAndApprove(db, flows, claimId);
      return [{ workflowId: claimWorkflowId(claimId), runId: first.firstExecutionRunId }, await finished(client, claimWorkflowId(claimId))];
    },
  },
  {
    name: 'article-intake',
    async run({ db, client, taskQueue }) {
      const flows = createClaimWorkflows(client, { taskQueue, db });
      const text = `Consumer price inflation fell to 3.1% in April from 3.4% in March, the Office for National Statistics said. Average weekly pay grew from £680 to £712, a rise of 6.5 per cent. (${Date.now()})`;
      const article = await db
        .insertInto('articles')
        .values({ title: 'Inflation', body: text, content_hash: createHash('sha256').update(text).digest('hex') })
        .returning('id')
        .executeTakeFirstOrThrow();
      await flows.startArticleIntake(article.id);
      return [await finished(client, articleWorkflowId(article.id))];
    },
  },
];
