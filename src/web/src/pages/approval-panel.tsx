import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useRef, useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { api } from '../api.ts';
import { ErrorNote, FieldError, FormError } from '../components.tsx';
import { label } from '../format.ts';
import { useShortcuts } from '../keys.ts';
import { RATING_LABELS, type ClaimDetail, type Rating, type Task } from '../types.ts';

interface Proposal {
  rating: Rating;
  summary: string;
  rationale?: string | null;
  citations?: { evidenceId?: string; url?: string; stance: string }[];
}

interface LiveState {
  proposed?: { verdict?: Proposal; reviewer?: string; round?: number } | null;
}

/** The proposals made so far, oldest first, from the audit trail (rating and summary are recorded there). */
function proposalsFromEvents(detail: ClaimDetail): Proposal[] {
  return detail.events
    .filter((e) => e.type === 'verdict_proposed')
    .map((e) => ({ rating: e.payload.rating as Rating, summary: String(e.payload.summary ?? '') }));
}

export function ApprovalPanel({ detail, task, me }: { detail: ClaimDetail; task: Task; me: string }) {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const live = useQuery({ queryKey: ['claim', task.claimId, 'live'], queryFn: () => api<LiveState>(`/api/claims/${task.claimId}/live`), retry: false });
  const history = proposalsFromEvents(detail);
  const proposal: Proposal | undefined = live.data?.proposed?.verdict ?? history[history.length - 1];
  const previous = history.length >= 2 ? history[history.length - 2] : undefined;
  const [comment, setComment] = useState('');
  const [done, setDone] = useState<string | null>(null);
  const commentRef = useRef<HTMLTextAreaElement>(null);
  const open = task.status === 'open' || task.status === 'claimed';
  const heldByOther = task.status === 'claimed' && task.assignee !== me;

  // An open approval task is claimed on the way: one key approves, as the editor expects.
  const ensureClaimed = async () => {
    if (task.status === 'open') await api(`/api/tasks/${task.id}/claim`, { method: 'POST' });
  };
  const settle = () => Promise.all([qc.invalidateQueries({ queryKey: ['claim', task.claimId] }), qc.invalidateQueries({ queryKey: ['queue'] }), qc.invalidateQueries({ queryKey: ['task', task.id] })]);
  const approve = useMutation({
    mutationFn: async () => {
      await ensureClaimed();
      return api(`/api/tasks/${task.id}/approve`, { method: 'POST' });
    },
    onSuccess: () => setDone('Approved. The verdict is recorded.'),
    onSettled: settle,
  });
  const sendBack = useMutation({
    mutationFn: async () => {
      await ensureClaimed();
      return api(`/api/tasks/${task.id}/send-back`, { method: 'POST', body: { comment } });
    },
    onSuccess: () => setDone('Sent back to the fact-checker with your comment.'),
    onSettled: settle,
  });

  useShortcuts({
    a: () => {
      if (open && !heldByOther && !approve.isPending) approve.mutate();
    },
    s: () => commentRef.current?.focus(),
  });

  const onSendBack = (e: FormEvent) => {
    e.preventDefault();
    sendBack.mutate();
  };

  if (done || !open) {
    return (
      <div>
        <h2 id="verdict-title">Proposed verdict</h2>
        <p className="success" role="status">
          {done ?? `This approval task is ${task.status}.`}
        </p>
        <button type="button" className="primary" onClick={() => void navigate('/approvals')}>
          Back to approvals
        </button>
      </div>
    );
  }

  return (
    <div>
      <h2 id="verdict-title">Proposed verdict</h2>
      <p className="muted small-text">
        By {task.reviewer ?? 'the reviewer'}, round {task.round}
      </p>
      {proposal ? (
        <div className="proposal">
          <p>
            <span className={`rating rating-${proposal.rating}`}>{RATING_LABELS[proposal.rating] ?? label(proposal.rating)}</span>
          </p>
          <h3>Summary</h3>
          <p className="proposal-summary">{proposal.summary}</p>
          {proposal.rationale ? (
            <>
              <h3>Rationale</h3>
              <p className="pre small-text">{proposal.rationale}</p>
            </>
          ) : null}
          <h3>Citations</h3>
          {proposal.citations?.length ? (
            <ul className="plain-list">
              {proposal.citations.map((c, i) => {
                const ev = c.evidenceId ? detail.evidence.find((e) => e.id === c.evidenceId) : undefined;
                return (
                  <li key={i}>
                    <span className={`badge stance-${c.stance}`}>{label(c.stance)}</span> {ev?.title ?? ev?.url ?? c.url ?? `evidence ${c.evidenceId ?? ''}`}
                  </li>
                );
              })}
            </ul>
          ) : (
            <p className="muted">No citations.</p>
          )}
        </div>
      ) : (
        <p className="muted">Loading the proposal…</p>
      )}
      {previous && proposal ? (
        <div className="diff" aria-label="Changes since the previous round">
          <h3>Since the previous round</h3>
          {previous.rating !== proposal.rating ? (
            <p>
              Rating: <del>{RATING_LABELS[previous.rating]}</del> → <ins>{RATING_LABELS[proposal.rating]}</ins>
            </p>
          ) : (
            <p className="muted">Rating unchanged.</p>
          )}
          {previous.summary !== proposal.summary ? (
            <p>
              Summary: <del>{previous.summary}</del> → <ins>{proposal.summary}</ins>
            </p>
          ) : (
            <p className="muted">Summary unchanged.</p>
          )}
        </div>
      ) : null}
      {heldByOther ? <p className="error">{task.assignee} holds this approval task.</p> : null}
      <div className="approve-row">
        <button type="button" className="primary" onClick={() => approve.mutate()} disabled={approve.isPending || sendBack.isPending || heldByOther}>
          {approve.isPending ? 'Approving…' : 'Approve (a)'}
        </button>
      </div>
      <ErrorNote error={approve.error} />
      <form onSubmit={onSendBack} className="send-back">
        <div className="field">
          <label htmlFor="sb-comment">Comment for the fact-checker (required to send back)</label>
          <textarea id="sb-comment" ref={commentRef} rows={3} value={comment} onChange={(e) => setComment(e.target.value)}
            onKeyDown={(e) => {
              // Ctrl+Enter sends from the keyboard without leaving the field.
              if (e.key === 'Enter' && (e.ctrlKey || e.metaKey) && comment.trim()) {
                e.preventDefault();
                sendBack.mutate();
              }
            }}
            aria-describedby="sb-comment-error sb-comment-hint"
          />
          <p className="muted small-text" id="sb-comment-hint">
            Ctrl+Enter sends it back.
          </p>
          <FieldError error={sendBack.error} field="comment" id="sb-comment-error" />
        </div>
        <FormError error={sendBack.error} fields={['comment']} />
        <button type="submit" disabled={!comment.trim() || sendBack.isPending || approve.isPending || heldByOther}>
          {sendBack.isPending ? 'Sending back…' : 'Send back (s)'}
        </button>
      </form>
    </div>
  );
}
