// Drives the pure claim state machine the way the workflow does (validate → allocate a task id if one opens →
// apply; timers as fireTimers fires them), with a hand-moved clock and a counter for task ids.
import {
  ClaimRejection,
  escalate,
  escalationDue,
  expireLease,
  initialState,
  leaseExpired,
  openReview,
  type ClaimAction,
  type ClaimWrite,
  type Decision,
} from '../../workflows/claim-state.ts';
import { CURRENT_SLA_RULES, type ClaimLiveState } from '../../workflows/messages.ts';
import { DEFAULT_REVIEW_POLICY, type Actor, type ReviewPolicy, type VerdictInput } from '../../src/domain/review.ts';

export const alice: Actor = { name: 'alice', role: 'fact_checker' };
export const bob: Actor = { name: 'bob', role: 'fact_checker' };
export const erin: Actor = { name: 'erin', role: 'editor' };
export const fred: Actor = { name: 'fred', role: 'editor' };
export const ada: Actor = { name: 'ada', role: 'admin' };
export const ACTORS: readonly Actor[] = [alice, bob, erin, fred, ada];

export const HOUR = 3_600_000;
export const POLICY: ReviewPolicy = { ...DEFAULT_REVIEW_POLICY, approvers: 1 };

export const verdict = (rating: VerdictInput['rating'] = 'mostly_true'): VerdictInput => ({ rating, summary: 'Matches the release.', rationale: null, citations: [] });

export class Desk {
  readonly s: ClaimLiveState;
  now = 1_700_000_000_000;
  private nextId = 100;
  readonly writes: ClaimWrite[] = [];

  constructor(
    public policy: ReviewPolicy = POLICY,
    mode: 'initial' | 'correction' = 'initial',
    /** The run's SLA rules: the current ones unless a test pins the old. */
    readonly slaRules: number = CURRENT_SLA_RULES,
  ) {
    this.s = initialState({ claimId: '1', mode, ...(mode === 'correction' ? { correction: { reason: 'new figures', actor: erin } } : {}) }, 'claim-1');
    this.s.status = 'awaiting_review';
    this.writes.push(openReview(this.s, this.ctx(), { id: this.allocate(), at: this.now }));
  }

  ctx() {
    return { policy: this.policy, now: this.now, keyPrefix: 'claim-1:run:v1', slaRules: this.slaRules };
  }

  private allocate(): string {
    this.nextId += 1;
    return String(this.nextId);
  }

  /** Runs one Update; returns its decision, or the rejection that refused it (then nothing changed). */
  run<A, V>(action: ClaimAction<A, V>, args: A): Decision | ClaimRejection {
    let validated: V;
    try {
      validated = action.validate(this.s, args);
    } catch (err) {
      if (err instanceof ClaimRejection) return err;
      throw err;
    }
    const ctx = this.ctx();
    const newTask = action.opensTask(this.s, validated, this.policy) ? { id: this.allocate(), at: this.now } : null;
    const decision = action.apply(this.s, validated, args, ctx, newTask);
    if (decision.kind === 'write') this.writes.push(decision.write);
    return decision;
  }

  /** Like run, but the Update must be accepted. */
  ok<A, V>(action: ClaimAction<A, V>, args: A): Decision {
    const d = this.run(action, args);
    if (d instanceof ClaimRejection) throw new Error(`refused: ${d.code}: ${d.message}`);
    return d;
  }

  /** Moves the clock and fires due timers as the workflow's fireTimers does. */
  advance(ms: number): void {
    this.now += ms;
    const fired = this.now;
    for (const t of this.s.tasks) {
      if (leaseExpired(t, fired)) this.writes.push(expireLease(this.s, t, this.ctx()));
      if (escalationDue(t, this.policy, fired)) this.writes.push(escalate(this.s, t, { ...this.ctx(), now: fired }));
    }
  }

  task(kind: 'review' | 'approval', status?: 'open' | 'claimed' | 'completed' | 'cancelled') {
    const found = [...this.s.tasks].reverse().find((t) => t.kind === kind && (status === undefined || t.status === status));
    if (!found) throw new Error(`no ${status ?? ''} ${kind} task`);
    return found;
  }
}
