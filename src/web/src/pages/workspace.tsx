import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { ApiError, api } from '../api.ts';
import { Checks, ErrorNote, FieldError, FormError, Highlighted } from '../components.tsx';
import { dateTime, label, signals, sla, time } from '../format.ts';
import { useShortcuts } from '../keys.ts';
import { useSession } from '../session.ts';
import { useTaskAction } from '../task-actions.ts';
import { RATINGS, RATING_LABELS, STANCES, type Article, type ClaimDetail, type Evidence, type Page, type QueueItem, type Rating, type Stance, type Task } from '../types.ts';
import { ApprovalPanel } from './approval-panel.tsx';

const PRIOR = 'prior_verdicts';

export function TaskPage() {
  const { taskId = '' } = useParams();
  const task = useQuery({ queryKey: ['task', taskId], queryFn: () => api<{ task: Task }>(`/api/tasks/${taskId}`) });
  if (task.error) {
    return (
      <main className="page" id="main">
        <h1>Task {taskId}</h1>
        <ErrorNote error={task.error} />
      </main>
    );
  }
  if (!task.data) return <p className="loading" role="status">Loading…</p>;
  return <Workspace claimId={task.data.task.claimId} taskId={taskId} />;
}

export function WorkspacePage() {
  const { claimId = '' } = useParams();
  return <Workspace claimId={claimId} taskId={null} />;
}

export function useClaimDetail(claimId: string) {
  return useQuery({ queryKey: ['claim', claimId], queryFn: () => api<ClaimDetail>(`/api/claims/${claimId}`) });
}

/** The task this page works on: the one in the URL, else the claim's live one (mine first). */
function pickTask(detail: ClaimDetail | undefined, taskId: string | null, me: string): Task | undefined {
  if (!detail) return undefined;
  if (taskId) return detail.tasks.find((t) => t.id === taskId);
  const live = detail.tasks.filter((t) => t.status === 'open' || t.status === 'claimed');
  return live.find((t) => t.assignee === me) ?? live[live.length - 1];
}

function Workspace({ claimId, taskId }: { claimId: string; taskId: string | null }) {
  const me = useSession().data?.user.name ?? '';
  const navigate = useNavigate();
  const detail = useClaimDetail(claimId);
  const claim = detail.data?.claim;
  const articleId = claim?.articleId ?? null;
  const article = useQuery({
    queryKey: ['article', articleId],
    queryFn: () => api<{ article: Article; claims: { id: string; start: number | null; end: number | null }[] }>(`/api/articles/${articleId}`),
    enabled: articleId !== null,
    staleTime: 60_000,
  });
  const task = pickTask(detail.data, taskId, me);
  const mine = task?.status === 'claimed' && task.assignee === me;
  const action = useTaskAction(me);
  const back = task?.kind === 'approval' ? '/approvals' : '/queue';

  // A lease that ran out (or a task taken over) shows up as a live change: say so in place, keep the draft.
  const held = useRef<string | null>(null);
  const [lostNote, setLostNote] = useState<string | null>(null);
  useEffect(() => {
    if (!task) return;
    if (mine) {
      held.current = task.id;
      setLostNote(null);
    } else if (held.current === task.id && task.status !== 'completed') {
      setLostNote(task.assignee ? `${task.assignee} holds this task now.` : 'Your lease ran out and the task went back to the queue.');
    }
  }, [task, mine]);
  const release = (t: Task) => {
    // Given back on purpose: not a lost lease.
    held.current = null;
    action.mutate({ task: t, action: 'release' });
  };

  useShortcuts({
    u: () => void navigate(back),
    c: () => {
      if (task?.status === 'open') action.mutate({ task, action: 'claim' });
    },
    r: () => {
      if (task && mine) release(task);
    },
  });

  useEffect(() => {
    if (article.data) document.getElementById('current-claim')?.scrollIntoView({ block: 'center' });
  }, [article.data]);

  if (detail.error) {
    return (
      <main className="page" id="main">
        <h1>Claim {claimId}</h1>
        <ErrorNote error={detail.error} />
      </main>
    );
  }
  if (!detail.data || !claim) return <p className="loading" role="status">Loading…</p>;
  const why = signals(claim.features);
  const evidence = detail.data.evidence.filter((e) => e.foundBy !== PRIOR);
  const prior = detail.data.evidence.filter((e) => e.foundBy === PRIOR);
  const s = task ? sla(task.dueAt) : null;

  return (
    <main className="workspace" id="main">
      <header className="ws-head">
        <div>
          <p className="crumbs">
            <Link to={back}>← {task?.kind === 'approval' ? 'Approval queue' : 'Review queue'}</Link> <span className="muted">(u)</span>
            {' · '}
            <Link to={`/timeline/${claim.id}`}>Timeline</Link>
          </p>
          <h1 className="ws-title">{claim.text}</h1>
          <p className="meta">
            <span className={`prio prio-${claim.priority}`}>{label(claim.priority)}</span> <span className="badge">{label(claim.status)}</span>
            {task ? (
              <>
                {' '}
                · {task.kind === 'approval' ? 'Approval' : 'Review'} task {task.id}, round {task.round} · {task.assignee ? (task.assignee === me ? 'held by me' : `held by ${task.assignee}`) : 'unassigned'}
                {s ? <span className={s.overdue ? 'late' : ''}> · {s.text}</span> : null}
              </>
            ) : null}
          </p>
        </div>
        <div className="ws-actions">
          {task && task.status === 'open' ? (
            <button type="button" className={task.kind === 'review' ? 'primary' : ''} onClick={() => action.mutate({ task, action: 'claim' })} disabled={action.isPending}>
              Claim task (c)
            </button>
          ) : null}
          {task && mine ? (
            <button type="button" onClick={() => release(task)} disabled={action.isPending}>
              Release (r)
            </button>
          ) : null}
          {task && mine ? <Lease task={task} /> : null}
          {lostNote ? (
            <p className="error" role="alert">
              You no longer hold this task: {lostNote} Your draft stays in this browser; claim it again to continue.
            </p>
          ) : null}
          <ErrorNote error={action.error} />
        </div>
      </header>
      <div className={task?.kind === 'approval' ? 'panes approving' : 'panes'}>
        <section className="pane" aria-labelledby="article-title">
          <h2 id="article-title">{article.data ? article.data.article.title : 'Claim'}</h2>
          {article.data ? (
            <>
              <p className="muted small-text">
                {article.data.article.publisher ?? ''} {article.data.article.url ? <span className="url">{article.data.article.url}</span> : null}
              </p>
              <Highlighted
                body={article.data.article.body}
                marks={article.data.claims.flatMap((c) => (c.start !== null && c.end !== null ? [{ start: c.start, end: c.end, current: c.id === claim.id }] : []))}
              />
            </>
          ) : (
            <p className="article-body">{claim.text}</p>
          )}
        </section>
        <section className="pane" aria-label="Research">
          <h2>Why it was picked</h2>
          <dl className="facts">
            <dt>Check-worthiness</dt>
            <dd>{Math.round(claim.score * 100)} / 100</dd>
            {why.raised.length ? (
              <>
                <dt>Raised by</dt>
                <dd>{why.raised.join(', ')}</dd>
              </>
            ) : null}
            {why.lowered.length ? (
              <>
                <dt>Lowered by</dt>
                <dd>{why.lowered.join(', ')}</dd>
              </>
            ) : null}
            <dt>Kind</dt>
            <dd>{label(claim.kind)}</dd>
            <dt>Claimant</dt>
            <dd>{claim.claimant ?? 'not named'}</dd>
          </dl>
          <h2>Quantities and arithmetic</h2>
          <Checks checks={claim.checks} quantities={claim.quantities} />
          <h2>Evidence</h2>
          <EvidenceList claimId={claim.id} items={evidence} canEdit={mine || task?.kind === 'approval'} />
          {task?.kind === 'review' && mine ? <AddEvidence claimId={claim.id} /> : null}
          <h2>Earlier verdicts on similar claims</h2>
          {prior.length ? <EvidenceList claimId={claim.id} items={prior} canEdit={false} /> : <p className="muted">None found.</p>}
        </section>
        <section className="pane" aria-labelledby="verdict-title">
          {task?.kind === 'approval' ? (
            <ApprovalPanel detail={detail.data} task={task} me={me} />
          ) : task?.kind === 'review' ? (
            <VerdictForm detail={detail.data} task={task} evidence={evidence} editable={mine} />
          ) : (
            <RecordedVerdicts detail={detail.data} />
          )}
        </section>
      </div>
    </main>
  );
}

function RecordedVerdicts({ detail }: { detail: ClaimDetail }) {
  const latest = detail.verdicts[detail.verdicts.length - 1];
  return (
    <>
      <h2 id="verdict-title">Verdict</h2>
      {latest ? (
        <div className="proposal">
          <p>
            <span className={`rating rating-${latest.rating}`}>{RATING_LABELS[latest.rating]}</span> <span className="muted">version {latest.version}, {dateTime(latest.recordedAt)}</span>
          </p>
          <p>{latest.summary}</p>
          {latest.rationale ? <p className="pre">{latest.rationale}</p> : null}
        </div>
      ) : (
        <p className="muted">No open task and no verdict yet ({label(detail.claim.status)}).</p>
      )}
    </>
  );
}

/** Keeps the lease while the person works: renewed on activity, at most once a minute; says so when it is lost. */
function Lease({ task }: { task: Task }) {
  const qc = useQueryClient();
  const lastActive = useRef(0);
  const lastRenew = useRef(0);
  const [lost, setLost] = useState<string | null>(null);
  const renew = useMutation({
    mutationFn: () => api<{ task: Task }>(`/api/tasks/${task.id}/renew`, { method: 'POST' }),
    onSuccess: (r) => qc.setQueryData<ClaimDetail>(['claim', task.claimId], (old) => (old ? { ...old, tasks: old.tasks.map((t) => (t.id === r.task.id ? r.task : t)) } : old)),
    onError: (err) => {
      if (err instanceof ApiError && [403, 404, 409].includes(err.status)) setLost(err.detail);
    },
  });
  const { mutate } = renew;
  useEffect(() => {
    lastActive.current = Date.now();
    lastRenew.current = Date.now();
    const mark = () => {
      lastActive.current = Date.now();
    };
    const events = ['keydown', 'pointerdown', 'input', 'scroll'] as const;
    for (const e of events) window.addEventListener(e, mark, { passive: true, capture: true });
    const timer = window.setInterval(() => {
      const now = Date.now();
      if (now - lastActive.current < 120_000 && now - lastRenew.current > 60_000) {
        lastRenew.current = now;
        mutate();
      }
    }, 10_000);
    return () => {
      for (const e of events) window.removeEventListener(e, mark, { capture: true });
      window.clearInterval(timer);
    };
  }, [task.id, mutate]);

  if (lost) {
    return (
      <p className="error" role="alert">
        You no longer hold this task: {lost}. Your draft stays in this browser.
      </p>
    );
  }
  return <p className="lease muted">{task.leaseExpiresAt ? `Yours until ${time(task.leaseExpiresAt)}, kept while you work` : 'Yours'}</p>;
}

function EvidenceList({ claimId, items, canEdit }: { claimId: string; items: Evidence[]; canEdit: boolean }) {
  const qc = useQueryClient();
  const setStance = useMutation({
    mutationFn: ({ id, stance }: { id: string; stance: Stance }) => api<{ evidence: Evidence }>(`/api/claims/${claimId}/evidence/${id}`, { method: 'PATCH', body: { stance } }),
    onMutate: async ({ id, stance }) => {
      await qc.cancelQueries({ queryKey: ['claim', claimId] });
      const before = qc.getQueryData<ClaimDetail>(['claim', claimId]);
      qc.setQueryData<ClaimDetail>(['claim', claimId], (old) => (old ? { ...old, evidence: old.evidence.map((e) => (e.id === id ? { ...e, stance } : e)) } : old));
      return { before };
    },
    onError: (_e, _v, ctx) => {
      if (ctx?.before) qc.setQueryData(['claim', claimId], ctx.before);
    },
    onSettled: () => qc.invalidateQueries({ queryKey: ['claim', claimId] }),
  });
  if (items.length === 0) return <p className="muted">No evidence yet.</p>;
  return (
    <>
      <ErrorNote error={setStance.error} />
      <ul className="evidence">
        {items.map((e) => (
          <li key={e.id} data-evidence-id={e.id}>
            <div className="ev-head">
              {e.url ? (
                <a href={e.url} target="_blank" rel="noopener noreferrer">
                  {e.title ?? e.url}
                </a>
              ) : (
                <strong>{e.title ?? 'Untitled source'}</strong>
              )}
              <span className="muted"> · {e.foundBy}</span>
              {e.score !== null ? <span className="muted"> · {Math.round(e.score * 100)}%</span> : null}
            </div>
            {e.quote ? <blockquote>{e.quote}</blockquote> : null}
            {e.reason ? <p className="muted small-text">{e.reason}</p> : null}
            <div className="stances" role="group" aria-label={`Stance of ${e.title ?? e.url ?? 'evidence ' + e.id}`}>
              {STANCES.map((s) => (
                <button
                  key={s}
                  type="button"
                  className={`small stance stance-${s}`}
                  aria-pressed={e.stance === s}
                  disabled={!canEdit}
                  onClick={() => {
                    if (e.stance !== s) setStance.mutate({ id: e.id, stance: s });
                  }}
                >
                  {label(s)}
                </button>
              ))}
            </div>
          </li>
        ))}
      </ul>
    </>
  );
}

function AddEvidence({ claimId }: { claimId: string }) {
  const qc = useQueryClient();
  const [url, setUrl] = useState('');
  const [quote, setQuote] = useState('');
  const [title, setTitle] = useState('');
  const [stance, setStance] = useState<Stance>('supports');
  const add = useMutation({
    mutationFn: () => api<{ evidence: Evidence }>(`/api/claims/${claimId}/evidence`, { method: 'POST', body: { url: url.trim(), quote: quote.trim(), stance, ...(title.trim() ? { title: title.trim() } : {}) } }),
    onSuccess: () => {
      setUrl('');
      setQuote('');
      setTitle('');
    },
    onSettled: () => qc.invalidateQueries({ queryKey: ['claim', claimId] }),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    add.mutate();
  };
  return (
    <form className="add-evidence" onSubmit={submit} aria-labelledby="add-evidence-title">
      <h3 id="add-evidence-title">Add evidence</h3>
      <div className="field">
        <label htmlFor="ev-url">URL</label>
        <input id="ev-url" type="url" value={url} onChange={(e) => setUrl(e.target.value)} required aria-describedby="ev-url-error" />
        <FieldError error={add.error} field="url" id="ev-url-error" />
      </div>
      <div className="field">
        <label htmlFor="ev-title">Title (optional)</label>
        <input id="ev-title" value={title} onChange={(e) => setTitle(e.target.value)} />
      </div>
      <div className="field">
        <label htmlFor="ev-quote">Quote</label>
        <textarea id="ev-quote" rows={3} value={quote} onChange={(e) => setQuote(e.target.value)} required aria-describedby="ev-quote-error" />
        <FieldError error={add.error} field="quote" id="ev-quote-error" />
      </div>
      <div className="field">
        <label htmlFor="ev-stance">Stance</label>
        <select id="ev-stance" value={stance} onChange={(e) => setStance(e.target.value as Stance)}>
          {STANCES.map((s) => (
            <option key={s} value={s}>
              {label(s)}
            </option>
          ))}
        </select>
      </div>
      <FormError error={add.error} fields={['url', 'quote']} />
      <button type="submit" disabled={add.isPending || !url.trim() || !quote.trim()}>
        {add.isPending ? 'Adding…' : 'Add evidence'}
      </button>
    </form>
  );
}

interface Draft {
  rating: Rating | '';
  summary: string;
  rationale: string;
  cited: Record<string, Stance>;
}
const EMPTY: Draft = { rating: '', summary: '', rationale: '', cited: {} };
const draftKey = (taskId: string) => `claimdesk:draft:${taskId}`;
const lastKey = (claimId: string) => `claimdesk:last:${claimId}`;

function loadDraft(task: Task): Draft {
  try {
    // A sent-back round starts from what this person proposed last time, not from nothing.
    const raw = localStorage.getItem(draftKey(task.id)) ?? localStorage.getItem(lastKey(task.claimId));
    return raw ? { ...EMPTY, ...(JSON.parse(raw) as Partial<Draft>) } : EMPTY;
  } catch {
    return EMPTY;
  }
}

function VerdictForm({ detail, task, evidence, editable }: { detail: ClaimDetail; task: Task; evidence: Evidence[]; editable: boolean }) {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const [draft, setDraft] = useState<Draft>(() => loadDraft(task));
  const [done, setDone] = useState(false);
  const nextRef = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    // Saved at every keystroke: a reload or a lost connection loses nothing typed.
    if (!done && editable) localStorage.setItem(draftKey(task.id), JSON.stringify(draft));
  }, [draft, task.id, done, editable]);

  const submit = useMutation({
    mutationFn: () =>
      api(`/api/tasks/${task.id}/verdict`, {
        method: 'POST',
        body: {
          rating: draft.rating,
          summary: draft.summary,
          rationale: draft.rationale.trim() ? draft.rationale : null,
          citations: Object.entries(draft.cited).map(([evidenceId, stance]) => ({ evidenceId, stance })),
        },
      }),
    onSuccess: () => {
      localStorage.removeItem(draftKey(task.id));
      localStorage.setItem(lastKey(task.claimId), JSON.stringify(draft));
      setDone(true);
    },
    onSettled: () => Promise.all([qc.invalidateQueries({ queryKey: ['claim', task.claimId] }), qc.invalidateQueries({ queryKey: ['queue'] })]),
  });

  const openNext = async () => {
    const page = await qc.fetchQuery({ queryKey: ['queue', 'review', 'next'], queryFn: () => api<Page<QueueItem>>('/api/queue?kind=review&filter=open&limit=5'), staleTime: 0 });
    const next = page.items.find((it) => it.task.id !== task.id && (it.task.status === 'open' || it.task.assignee !== null));
    await navigate(next ? `/tasks/${next.task.id}` : '/queue');
  };

  useEffect(() => {
    if (done) nextRef.current?.focus();
  }, [done]);

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    submit.mutate();
  };
  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => setDraft((d) => ({ ...d, [key]: value }));
  const err = submit.error;
  const sentBack = task.comment;
  const lastVerdict = detail.verdicts[detail.verdicts.length - 1];

  if (done || task.status === 'completed') {
    return (
      <div>
        <h2 id="verdict-title">Verdict</h2>
        <p className="success" role="status">
          {done ? 'Verdict submitted. It goes to an editor for approval.' : 'This review task is finished.'}
        </p>
        <button ref={nextRef} type="button" className="primary" onClick={() => void openNext()}>
          Open next task
        </button>
      </div>
    );
  }

  return (
    <form onSubmit={onSubmit} aria-labelledby="verdict-title" className="verdict-form">
      <h2 id="verdict-title">Verdict</h2>
      {sentBack ? (
        <div className="callout" role="note">
          <strong>Sent back:</strong> {sentBack}
        </div>
      ) : null}
      {lastVerdict ? (
        <p className="muted small-text">
          Current published verdict: {RATING_LABELS[lastVerdict.rating]} (version {lastVerdict.version})
        </p>
      ) : null}
      {!editable ? <p className="muted">Claim the task to write the verdict.</p> : null}
      <fieldset disabled={!editable} className="plain">
        <fieldset className="ratings" aria-describedby="rating-error">
          <legend>Rating</legend>
          {RATINGS.map((r) => (
            <label key={r} className={`rating-option rating-${r}`}>
              <input type="radio" name="rating" value={r} checked={draft.rating === r} onChange={() => set('rating', r)} />
              {RATING_LABELS[r]}
            </label>
          ))}
          <FieldError error={err} field="rating" id="rating-error" />
        </fieldset>
        <div className="field">
          <label htmlFor="v-summary">Summary</label>
          <textarea id="v-summary" rows={3} value={draft.summary} onChange={(e) => set('summary', e.target.value)} aria-describedby="v-summary-error" />
          <FieldError error={err} field="summary" id="v-summary-error" />
        </div>
        <div className="field">
          <label htmlFor="v-rationale">Rationale</label>
          <textarea id="v-rationale" rows={5} value={draft.rationale} onChange={(e) => set('rationale', e.target.value)} aria-describedby="v-rationale-error" />
          <FieldError error={err} field="rationale" id="v-rationale-error" />
        </div>
        <fieldset className="citations" aria-describedby="v-citations-error">
          <legend>Citations</legend>
          {evidence.length === 0 ? <p className="muted">Add evidence to cite it.</p> : null}
          {evidence.map((e) => {
            const cited = draft.cited[e.id];
            return (
              <label key={e.id} className="cite">
                <input
                  type="checkbox"
                  checked={cited !== undefined}
                  onChange={(ev) => {
                    const next = { ...draft.cited };
                    if (ev.target.checked) next[e.id] = e.stance;
                    else delete next[e.id];
                    set('cited', next);
                  }}
                />
                <span>
                  {e.title ?? e.url ?? `Evidence ${e.id}`} <span className={`badge stance-${cited ?? e.stance}`}>{label(cited ?? e.stance)}</span>
                </span>
              </label>
            );
          })}
          <FieldError error={err} field="citations" id="v-citations-error" />
        </fieldset>
        <FormError error={err} fields={['rating', 'summary', 'rationale', 'citations']} />
        <button type="submit" className="primary" disabled={submit.isPending || !draft.rating || !draft.summary.trim()}>
          {submit.isPending ? 'Submitting…' : 'Submit verdict'}
        </button>
        <p className="muted small-text">Draft saved in this browser as you type.</p>
      </fieldset>
    </form>
  );
}
