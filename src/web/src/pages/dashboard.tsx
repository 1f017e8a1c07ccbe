import { useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { Link } from 'react-router';
import { api } from '../api.ts';
import { VerdictScatter } from '../chart.tsx';
import { ErrorNote } from '../components.tsx';
import { dateTime, duration, label, percentile } from '../format.ts';
import { CLAIM_STATUSES, type ClaimStatus, type Task, type TaskKind } from '../types.ts';

interface Stage {
  kind: TaskKind;
  open: number;
  claimed: number;
  completed: number;
  medianQueueSeconds: number | null;
  medianWorkSeconds: number | null;
}

interface Dashboard {
  generatedAt: string;
  countsByStatus: Record<ClaimStatus, number>;
  overdue: { count: number; tasks: { task: Task; claimText: string; overdueSeconds: number }[] };
  medianTimeToClaimSeconds: number | null;
  medianTimeToVerdictSeconds: number | null;
  stages: Stage[];
  reviewerLoad: { assignee: string; review: number; approval: number; total: number }[];
  throughputPerDay: { day: string; verdicts: number }[];
  // Added for the web app (docs/web-contract.md); optional so an older API still renders.
  timeToVerdict?: { claimId: string; recordedAt: string; seconds: number }[];
  aging?: { kind: TaskKind; taskId: string; claimId: string; ageSeconds: number }[];
  agingPercentiles?: Partial<Record<TaskKind, { p50: number | null; p85: number | null }>>;
  failing?: { claimId: string; text: string; reason: string; at: string }[];
  stuck?: { count: number; claims: { claimId: string; text: string; status: ClaimStatus; step: string; since: string }[] };
  temporalUiUrl?: string | null;
}

const NAMESPACE = 'default';

function WorkflowLink({ base, claimId }: { base: string | null | undefined; claimId: string }) {
  if (!base) return null;
  const href = `${base.replace(/\/$/, '')}/namespaces/${NAMESPACE}/workflows/${encodeURIComponent(`claim-${claimId}`)}`;
  return (
    <a href={href} target="_blank" rel="noopener noreferrer" className="small-text">
      workflow<span className="sr-only"> of claim {claimId} in Temporal</span>
    </a>
  );
}

function Bar({ value, max, kind }: { value: number; max: number; kind: string }) {
  const pct = max > 0 ? Math.max(2, Math.round((value / max) * 100)) : 0;
  return (
    <span className="bar-track" aria-hidden="true">
      <span className={`bar bar-${kind}`} style={{ width: `${pct}%` }} />
    </span>
  );
}

export function DashboardPage() {
  const q = useQuery({ queryKey: ['dashboard'], queryFn: () => api<Dashboard>('/api/dashboard'), refetchInterval: 60_000 });
  const d = q.data;
  const scatter = useMemo(() => (d?.timeToVerdict ?? []).map((p) => ({ x: Date.parse(p.recordedAt) / 1000, y: p.seconds })), [d]);
  const ys = useMemo(() => scatter.map((p) => p.y).sort((a, b) => a - b), [scatter]);
  if (q.error) {
    return (
      <main className="page" id="main">
        <h1>Dashboard</h1>
        <ErrorNote error={q.error} />
      </main>
    );
  }
  if (!d) return <p className="loading" role="status">Loading…</p>;
  const p50 = percentile(ys, 0.5);
  const p85 = percentile(ys, 0.85);
  const maxStage = Math.max(1, ...d.stages.flatMap((s) => [s.medianQueueSeconds ?? 0, s.medianWorkSeconds ?? 0]));
  const maxLoad = Math.max(1, ...d.reviewerLoad.map((r) => r.total));
  return (
    <main className="page dashboard" id="main">
      <div className="page-head">
        <h1>Dashboard</h1>
        <span className="muted small-text">updated {dateTime(d.generatedAt)}</span>
      </div>
      <section aria-labelledby="counts-title">
        <h2 id="counts-title">Claims per status</h2>
        <ul className="tiles">
          {CLAIM_STATUSES.map((s) => (
            <li key={s} className="tile" data-status={s}>
              <span className="tile-n">{d.countsByStatus[s] ?? 0}</span>
              <span className="tile-l">{label(s)}</span>
            </li>
          ))}
        </ul>
      </section>
      <div className="grid2">
        <section aria-labelledby="overdue-title" className="card">
          <h2 id="overdue-title">Overdue ({d.overdue.count})</h2>
          {d.overdue.tasks.length === 0 ? <p className="muted">Nothing overdue.</p> : null}
          <ul className="plain-list">
            {d.overdue.tasks.map((o) => (
              <li key={o.task.id}>
                <Link to={`/tasks/${o.task.id}`} className="clamp2">
                  {o.claimText}
                </Link>
                <span className="late small-text"> overdue by {duration(o.overdueSeconds)}</span> <span className="muted small-text">· {o.task.kind} · {o.task.assignee ?? 'unassigned'}</span>{' '}
                <WorkflowLink base={d.temporalUiUrl} claimId={o.task.claimId} />
              </li>
            ))}
          </ul>
        </section>
        <section aria-labelledby="ttv-title" className="card">
          <h2 id="ttv-title">Time to verdict</h2>
          <p className="small-text">
            {p50 !== null ? (
              <>
                p50 <strong>{duration(p50)}</strong> · p85 <strong>{duration(p85 ?? 0)}</strong> · {scatter.length} verdicts
              </>
            ) : d.medianTimeToVerdictSeconds !== null ? (
              <>
                median <strong>{duration(d.medianTimeToVerdictSeconds)}</strong>
              </>
            ) : (
              <span className="muted">No verdicts yet.</span>
            )}
          </p>
          {scatter.length ? <VerdictScatter points={scatter} p50={p50} p85={p85} label={`Time to verdict for ${scatter.length} claims; p50 ${duration(p50 ?? 0)}, p85 ${duration(p85 ?? 0)}`} /> : null}
          {d.timeToVerdict?.length ? (
            <details className="small-text">
              <summary>The claims in this chart</summary>
              <ul className="plain-list">
                {[...d.timeToVerdict]
                  .sort((a, b) => b.recordedAt.localeCompare(a.recordedAt))
                  .slice(0, 20)
                  .map((p) => (
                    <li key={`${p.claimId}-${p.recordedAt}`}>
                      <Link to={`/timeline/${p.claimId}`}>Claim {p.claimId}: {duration(p.seconds)}</Link> <span className="muted">{dateTime(p.recordedAt)}</span>{' '}
                      <WorkflowLink base={d.temporalUiUrl} claimId={p.claimId} />
                    </li>
                  ))}
              </ul>
            </details>
          ) : null}
        </section>
        <section aria-labelledby="stages-title" className="card">
          <h2 id="stages-title">Queue time and work time per stage (median)</h2>
          <div className="scroll-x">
          <table className="dense stages">
            <thead>
              <tr>
                <th scope="col">Stage</th>
                <th scope="col">Open</th>
                <th scope="col">Claimed</th>
                <th scope="col">Waiting</th>
                <th scope="col">Working</th>
              </tr>
            </thead>
            <tbody>
              {d.stages.map((s) => (
                <tr key={s.kind}>
                  <th scope="row">{label(s.kind)}</th>
                  <td>{s.open}</td>
                  <td>{s.claimed}</td>
                  <td>
                    <Bar value={s.medianQueueSeconds ?? 0} max={maxStage} kind="queue" /> {s.medianQueueSeconds === null ? '—' : duration(s.medianQueueSeconds)}
                  </td>
                  <td>
                    <Bar value={s.medianWorkSeconds ?? 0} max={maxStage} kind="work" /> {s.medianWorkSeconds === null ? '—' : duration(s.medianWorkSeconds)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          </div>
          {d.aging?.length ? (
            <>
              <h3>Open work by age</h3>
              <ul className="plain-list">
                {d.aging.slice(0, 10).map((a) => {
                  const pc = d.agingPercentiles?.[a.kind];
                  const over = pc?.p85 != null && a.ageSeconds > pc.p85;
                  return (
                    <li key={a.taskId}>
                      <Link to={`/tasks/${a.taskId}`} className={over ? 'late' : ''}>
                        {label(a.kind)} task waiting {duration(a.ageSeconds)}
                      </Link>
                      {pc?.p85 != null ? <span className="muted small-text"> (p85 {duration(pc.p85)})</span> : null}
                    </li>
                  );
                })}
              </ul>
            </>
          ) : null}
        </section>
        <section aria-labelledby="load-title" className="card">
          <h2 id="load-title">Load per reviewer</h2>
          {d.reviewerLoad.length === 0 ? <p className="muted">Nobody holds a task right now.</p> : null}
          <table className="dense">
            <tbody>
              {d.reviewerLoad.map((r) => (
                <tr key={r.assignee}>
                  <th scope="row">{r.assignee}</th>
                  <td className="wide">
                    <Bar value={r.total} max={maxLoad} kind="load" />
                  </td>
                  <td>
                    {r.review} review, {r.approval} approval
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
        {d.stuck && d.stuck.count > 0 ? (
          <section aria-labelledby="stuck-title" className="card">
            <h2 id="stuck-title">Stuck: changes the database refuses ({d.stuck.count})</h2>
            <p className="small-text muted">Their last change could not be recorded; an operator must repair the data or schema. They move again by themselves once it can be.</p>
            <ul className="plain-list">
              {d.stuck.claims.map((c) => (
                <li key={c.claimId}>
                  <Link to={`/timeline/${c.claimId}`} className="clamp2">
                    {c.text}
                  </Link>
                  <span className="small-text late"> {c.step}</span> <span className="muted small-text">· {label(c.status)} · since {dateTime(c.since)}</span> <WorkflowLink base={d.temporalUiUrl} claimId={c.claimId} />
                </li>
              ))}
            </ul>
          </section>
        ) : null}
        <section aria-labelledby="failing-title" className="card">
          <h2 id="failing-title">Stuck or failing claims</h2>
          {(d.failing ?? []).length === 0 ? <p className="muted">None.</p> : null}
          <ul className="plain-list">
            {(d.failing ?? []).map((f) => (
              <li key={`${f.claimId}-${f.at}`}>
                <Link to={`/timeline/${f.claimId}`} className="clamp2">
                  {f.text}
                </Link>
                <span className="small-text late"> {f.reason}</span> <span className="muted small-text">{dateTime(f.at)}</span> <WorkflowLink base={d.temporalUiUrl} claimId={f.claimId} />
              </li>
            ))}
          </ul>
        </section>
        <section aria-labelledby="tp-title" className="card">
          <h2 id="tp-title">Verdicts per day</h2>
          {d.throughputPerDay.length === 0 ? <p className="muted">No verdicts in the last 30 days.</p> : null}
          <table className="dense">
            <tbody>
              {d.throughputPerDay.slice(-14).map((t) => (
                <tr key={t.day}>
                  <th scope="row">{t.day}</th>
                  <td className="wide">
                    <Bar value={t.verdicts} max={Math.max(1, ...d.throughputPerDay.map((x) => x.verdicts))} kind="work" />
                  </td>
                  <td>{t.verdicts}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      </div>
    </main>
  );
}
