import { Link, useParams } from 'react-router';
import { ErrorNote } from '../components.tsx';
import { dateTime, dateTimeSeconds, duration, label } from '../format.ts';
import { RATING_LABELS, type ClaimEvent, type Verdict } from '../types.ts';
import { useClaimDetail } from './workspace.tsx';

// After a claim someone works on it; otherwise it waits (in a queue, for research, for an approver).
const WORK_STARTS = new Set(['task_claimed']);
const WORK_ENDS = new Set(['verdict_proposed', 'verdict_approved', 'verdict_recorded', 'sent_back', 'task_released', 'lease_expired']);

function gapLabel(prev: ClaimEvent, next: ClaimEvent, working: boolean): string {
  const s = (Date.parse(next.at) - Date.parse(prev.at)) / 1000;
  return `${working ? 'working' : 'waiting'} ${duration(s)}`;
}

function describe(e: ClaimEvent): string {
  const p = e.payload;
  const bits: string[] = [];
  if (typeof p.rating === 'string') bits.push(RATING_LABELS[p.rating as keyof typeof RATING_LABELS] ?? p.rating);
  if (typeof p.summary === 'string') bits.push(`“${p.summary}”`);
  if (typeof p.comment === 'string') bits.push(`comment: “${p.comment}”`);
  if (typeof p.reason === 'string') bits.push(`reason: “${p.reason}”`);
  if (typeof p.kind === 'string') bits.push(e.type.startsWith('task_') ? `${p.kind} task` : p.kind);
  if (typeof p.from === 'string' && typeof p.to === 'string') bits.push(`${p.from} → ${p.to}`);
  if (typeof p.version === 'number') bits.push(`version ${p.version}`);
  return bits.join(' · ');
}

function changes(a: Verdict, b: Verdict): string[] {
  const out: string[] = [];
  if (a.rating !== b.rating) out.push(`rating ${RATING_LABELS[a.rating]} → ${RATING_LABELS[b.rating]}`);
  if (a.summary !== b.summary) out.push('summary rewritten');
  if ((a.rationale ?? '') !== (b.rationale ?? '')) out.push('rationale changed');
  if (JSON.stringify(a.citations) !== JSON.stringify(b.citations)) out.push(`citations ${a.citations.length} → ${b.citations.length}`);
  return out.length ? out : ['no change in rating, summary, rationale or citations'];
}

export function TimelinePage() {
  const { claimId = '' } = useParams();
  const detail = useClaimDetail(claimId);
  if (detail.error) {
    return (
      <main className="page" id="main">
        <h1>Timeline</h1>
        <ErrorNote error={detail.error} />
      </main>
    );
  }
  if (!detail.data) return <p className="loading" role="status">Loading…</p>;
  const { claim, events, verdicts } = detail.data;
  let working = false;
  return (
    <main className="page narrow" id="main">
      <p className="crumbs">
        <Link to={`/workspace/${claim.id}`}>← Claim workspace</Link>
      </p>
      <h1>Timeline</h1>
      <p className="lede">{claim.text}</p>
      <p className="meta">
        <span className="badge">{label(claim.status)}</span> <span className="muted">entered {dateTime(claim.createdAt)}</span>
      </p>
      <section aria-labelledby="versions-title">
        <h2 id="versions-title">Verdict versions</h2>
        {verdicts.length === 0 ? <p className="muted">No verdict recorded yet.</p> : null}
        <ol className="versions">
          {verdicts.map((v, i) => {
            const before = i > 0 ? verdicts[i - 1] : undefined;
            return (
              <li key={v.id}>
                <p>
                  <strong>Version {v.version}</strong> <span className={`rating rating-${v.rating}`}>{RATING_LABELS[v.rating]}</span> <span className="muted">{dateTime(v.recordedAt)} · by {v.reviewer}{v.approver ? `, approved by ${v.approver}` : ''}</span>
                </p>
                <p>{v.summary}</p>
                {v.correctionReason ? <p className="muted">Correction: {v.correctionReason}</p> : null}
                {before ? <p className="small-text">What changed: {changes(before, v).join('; ')}</p> : null}
              </li>
            );
          })}
        </ol>
      </section>
      <section aria-labelledby="events-title">
        <h2 id="events-title">Events</h2>
        <ol className="timeline">
          {events.map((e, i) => {
            const prev = i > 0 ? events[i - 1] : undefined;
            const gap = prev ? gapLabel(prev, e, working) : null;
            if (WORK_STARTS.has(e.type)) working = true;
            else if (WORK_ENDS.has(e.type)) working = false;
            return (
              <li key={e.id} data-event-type={e.type}>
                {gap ? <span className="gap">{gap}</span> : null}
                <div className="event">
                  <time dateTime={e.at}>{dateTimeSeconds(e.at)}</time>
                  <strong>{label(e.type)}</strong>
                  <span className="actor">{e.actor}</span>
                  <span className="muted">{describe(e)}</span>
                </div>
              </li>
            );
          })}
        </ol>
      </section>
    </main>
  );
}
