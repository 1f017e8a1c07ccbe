import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ClaimRejection,
  approveAction,
  claimTaskAction,
  isActive,
  isTerminal,
  nextDeadline,
  releaseTaskAction,
  renewLeaseAction,
  reprioritizeAction,
  sendBackAction,
  statusForTasks,
  submitVerdictAction,
  withdrawAction,
} from '../../workflows/claim-state.ts';
import { PRIORITIES } from '../../src/domain/types.ts';
import { RATINGS } from '../../src/domain/ratings.ts';
import type { Actor, ReviewPolicy } from '../../src/domain/review.ts';
import { ACTORS, Desk, HOUR, POLICY, ada, alice, bob, erin, fred, verdict } from './claim-state-harness.ts';

// A random session at the desk: any actor tries any Update on any task (or on one that does not exist), and the
// clock moves so leases expire and SLAs escalate in between.
const step = fc.record({
  // Weighted towards the steps that move a claim forward, so sessions get past the first approval.
  kind: fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom('claim', 'submit', 'approve') },
    { weight: 3, arbitrary: fc.constantFrom('release', 'renew', 'sendBack', 'reprioritize', 'wait') },
    { weight: 1, arbitrary: fc.constant('withdraw') },
  ),
  // -1: the task's holder (when it has one), so holders act on their own tasks often enough to reach approval.
  actor: fc.oneof(fc.constant(-1), fc.nat({ max: ACTORS.length - 1 })),
  // -1: the newest task, where the work is; otherwise any index, including ones that do not exist.
  task: fc.oneof({ weight: 3, arbitrary: fc.constant(-1) }, { weight: 1, arbitrary: fc.nat({ max: 7 }) }),
  rating: fc.constantFrom(...RATINGS),
  priority: fc.constantFrom(...PRIORITIES),
  waitMs: fc.oneof(fc.integer({ min: 0, max: HOUR }), fc.integer({ min: 0, max: 30 * HOUR })),
});
type Step = typeof step extends fc.Arbitrary<infer T> ? T : never;

const policies = fc.record({
  approvers: fc.integer({ min: 1, max: 3 }),
  approvalRequiredFor: fc.subarray([...RATINGS]),
  maxEscalations: fc.integer({ min: 0, max: 3 }),
  leaseMs: fc.integer({ min: 1, max: 10 * HOUR }),
});
const fullPolicy = policies.map((p): ReviewPolicy => ({ ...POLICY, ...p }));

const taskOf = (desk: Desk, st: Step) => (st.task === -1 ? desk.s.tasks.at(-1) : desk.s.tasks[st.task]);
/** A named actor, or (-1) whoever holds the task, else someone whose role fits it: sessions must get somewhere. */
function actorOf(desk: Desk, st: Step): Actor {
  if (st.actor >= 0) return ACTORS[st.actor]!;
  const task = taskOf(desk, st);
  // The admin fits both, so the same person reviewing and then approving is tried often.
  const fitting = task?.kind === 'approval' ? [erin, fred, ada] : [alice, bob, ada];
  return ACTORS.find((a) => a.name === task?.assignee) ?? fitting[st.waitMs % 3]!;
}

/** Runs one step; returns whether the desk accepted it. */
function play(desk: Desk, st: Step): boolean {
  const actor = actorOf(desk, st);
  const taskId = taskOf(desk, st)?.id ?? `missing-${st.task}`;
  let d;
  switch (st.kind) {
    case 'claim':
      d = desk.run(claimTaskAction, { taskId, actor });
      break;
    case 'release':
      d = desk.run(releaseTaskAction, { taskId, actor });
      break;
    case 'renew':
      d = desk.run(renewLeaseAction, { taskId, actor });
      break;
    case 'submit':
      d = desk.run(submitVerdictAction, { taskId, actor, verdict: verdict(st.rating) });
      break;
    case 'approve':
      d = desk.run(approveAction, { taskId, actor });
      break;
    case 'sendBack':
      d = desk.run(sendBackAction, { taskId, actor, comment: 'check the base year' });
      break;
    case 'withdraw':
      d = desk.run(withdrawAction, { actor, reason: 'duplicate' });
      break;
    case 'reprioritize':
      d = desk.run(reprioritizeAction, { actor, priority: st.priority });
      break;
    case 'wait':
      desk.advance(st.waitMs);
      return true;
  }
  return !(d instanceof ClaimRejection);
}

// size 'max': by default fast-check keeps arrays near ten items, too short to get past a first approval.
const session = fc.array(step, { minLength: 1, maxLength: 60, size: 'max' });
const runs = { numRuns: 200 };

describe('claim state properties', () => {
  it('no sequence of Updates lets one person both review and approve a verdict', () => {
    fc.assert(
      fc.property(fullPolicy, session, (policy, steps) => {
        const desk = new Desk(policy);
        for (const st of steps) {
          play(desk, st);
          const p = desk.s.proposed;
          if (p) expect(p.approvals).not.toContain(p.reviewer);
          for (const t of desk.s.tasks) {
            if (t.kind === 'approval' && t.assignee !== null) expect(t.assignee).not.toBe(t.reviewer);
            // Whatever role the reviewer has by now, the approval task of their own verdict stays out of reach.
            if (t.kind === 'approval' && isActive(t) && t.reviewer !== null) {
              const reviewer = { name: t.reviewer, role: 'admin' as const };
              expect(() => claimTaskAction.validate(desk.s, { taskId: t.id, actor: reviewer })).toThrow(ClaimRejection);
              expect(() => approveAction.validate(desk.s, { taskId: t.id, actor: reviewer })).toThrow(ClaimRejection);
            }
          }
          for (const w of desk.writes) {
            if (w.verdict?.approver) expect(w.verdict.approver.split(', ')).not.toContain(w.verdict.reviewer);
          }
        }
      }),
      runs,
    );
  });

  it('no editor counts twice towards the approvals a verdict needs', () => {
    fc.assert(
      fc.property(fullPolicy, session, (policy, steps) => {
        const desk = new Desk(policy);
        for (const st of steps) {
          play(desk, st);
          const approvals = desk.s.proposed?.approvals ?? [];
          expect(new Set(approvals).size).toBe(approvals.length);
        }
      }),
      runs,
    );
  });

  it('an approval task never opens without a proposed verdict of the current round', () => {
    fc.assert(
      fc.property(fullPolicy, session, (policy, steps) => {
        const desk = new Desk(policy);
        for (const st of steps) {
          play(desk, st);
          if (desk.s.tasks.some((t) => t.kind === 'approval' && isActive(t))) {
            expect(desk.s.proposed).not.toBeNull();
            expect(desk.s.proposed?.round).toBe(desk.s.round);
          }
        }
      }),
      runs,
    );
  });

  it('only the holder of a lease releases or renews it (an admin may release)', () => {
    fc.assert(
      fc.property(fullPolicy, session, (policy, steps) => {
        const desk = new Desk(policy);
        for (const st of steps) {
          const task = taskOf(desk, st);
          const holder = task?.status === 'claimed' ? task.assignee : null;
          const actor = actorOf(desk, st);
          const accepted = play(desk, st);
          if (accepted && st.kind === 'renew') expect(actor.name).toBe(holder);
          if (accepted && st.kind === 'release') expect(actor.name === holder || (holder !== null && actor.role === 'admin')).toBe(true);
        }
      }),
      runs,
    );
  });

  it('withdrawn (and done) is terminal: no later Update is accepted and nothing changes', () => {
    fc.assert(
      fc.property(fullPolicy, session, session, (policy, before, after) => {
        const desk = new Desk(policy);
        for (const st of before) play(desk, st);
        desk.run(withdrawAction, { actor: ACTORS[2]!, reason: 'out of scope' });
        expect(isTerminal(desk.s)).toBe(true);
        const frozen = structuredClone(desk.s);
        for (const st of after) {
          if (st.kind === 'wait') continue;
          expect(play(desk, st)).toBe(false);
        }
        desk.advance(100 * HOUR);
        expect(desk.s).toEqual(frozen);
        expect(desk.s.tasks.some(isActive)).toBe(false);
      }),
      runs,
    );
  });

  it('a refused Update leaves the state exactly as it was', () => {
    fc.assert(
      fc.property(fullPolicy, session, (policy, steps) => {
        const desk = new Desk(policy);
        for (const st of steps) {
          const before = structuredClone(desk.s);
          if (!play(desk, st)) expect(desk.s).toEqual(before);
        }
      }),
      runs,
    );
  });

  it('send-back returns the task to the same reviewer with round + 1', () => {
    fc.assert(
      fc.property(fullPolicy, session, (policy, steps) => {
        const desk = new Desk(policy);
        for (const st of steps) {
          const reviewer = desk.s.proposed?.reviewer;
          const round = desk.s.round;
          if (play(desk, st) && st.kind === 'sendBack') {
            expect(desk.s.round).toBe(round + 1);
            const review = desk.s.tasks.filter((t) => t.kind === 'review' && isActive(t));
            expect(review).toHaveLength(1);
            expect(review[0]).toMatchObject({ assignee: reviewer, reviewer, round: round + 1, status: 'claimed' });
          }
        }
      }),
      runs,
    );
  });

  it('while the claim is in review or approval, its status is the status for its tasks, with exactly one active task', () => {
    fc.assert(
      fc.property(fullPolicy, session, (policy, steps) => {
        const desk = new Desk(policy);
        for (const st of steps) {
          play(desk, st);
          if (desk.s.stage === 'review' || desk.s.stage === 'approval') {
            expect(desk.s.status).toBe(statusForTasks(desk.s.tasks));
            expect(desk.s.tasks.filter(isActive)).toHaveLength(1);
          }
        }
      }),
      runs,
    );
  });

  it('a deadline is never NaN, even for a policy missing a field', () => {
    const partialDurations = fc.record({
      urgent: fc.option(fc.integer({ min: 1, max: 10 * HOUR }), { nil: undefined }),
      high: fc.option(fc.integer({ min: 1, max: 10 * HOUR }), { nil: undefined }),
      normal: fc.option(fc.integer({ min: 1, max: 10 * HOUR }), { nil: undefined }),
      low: fc.option(fc.integer({ min: 1, max: 10 * HOUR }), { nil: undefined }),
    });
    const ragged = fc
      .record({
        base: policies,
        claimSlaMs: fc.option(partialDurations, { nil: undefined }),
        verdictSlaMs: fc.option(partialDurations, { nil: undefined }),
        leaseMs: fc.option(fc.integer({ min: 1, max: 10 * HOUR }), { nil: undefined }),
        maxEscalations: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
      })
      .map(({ base, ...rest }) => {
        const p: Record<string, unknown> = { ...POLICY, ...base };
        for (const [k, v] of Object.entries(rest)) {
          if (v === undefined) delete p[k];
          else p[k] = typeof v === 'object' ? Object.fromEntries(Object.entries(v).filter(([, ms]) => ms !== undefined)) : v;
        }
        return p as unknown as ReviewPolicy;
      });
    fc.assert(
      fc.property(ragged, session, (policy, steps) => {
        const desk = new Desk(policy);
        for (const st of steps) {
          play(desk, st);
          const d = nextDeadline(desk.s, policy);
          if (d !== null) expect(Number.isFinite(d)).toBe(true);
          for (const t of desk.s.tasks) {
            if (t.dueAt !== null) expect(Number.isFinite(t.dueAt)).toBe(true);
            if (t.leaseExpiresAt !== null) expect(Number.isFinite(t.leaseExpiresAt)).toBe(true);
          }
        }
        if (!isTerminal(desk.s)) expect(nextDeadline(desk.s, policy)).not.toBeNaN();
      }),
      runs,
    );
  });
});

describe('the random sessions above', () => {
  it('reach approval, send-back, recorded verdicts, escalations and expired leases (so the properties are not vacuous)', () => {
    const seen = new Set<string>();
    for (const [policy, steps] of fc.sample(fc.tuple(fullPolicy, session), { numRuns: 400, seed: 42 })) {
      const desk = new Desk(policy);
      for (const st of steps) {
        if (play(desk, st) && st.kind !== 'wait') seen.add(`accepted:${st.kind}`);
      }
      for (const w of desk.writes) seen.add(w.event.type);
      if (desk.s.proposed && desk.s.proposed.approvals.length > 0) seen.add('partly approved');
    }
    for (const what of ['verdict_proposed', 'verdict_approved', 'sent_back', 'verdict_recorded', 'withdrawn', 'escalated', 'lease_expired', 'task_released', 'partly approved', 'accepted:renew', 'accepted:reprioritize']) {
      expect(seen, what).toContain(what);
    }
  });
});
