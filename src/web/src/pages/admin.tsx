import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api } from '../api.ts';
import { ErrorNote, FieldError, FormError } from '../components.tsx';
import { dateTime, duration, label } from '../format.ts';
import { RATING_LABELS, type Rating, type Role } from '../types.ts';

interface AdminUser {
  id: string;
  name: string;
  role: Role;
  createdAt: string;
  disabled: boolean;
  hasPassword: boolean;
}
interface Webhook {
  id: string;
  url: string;
  events: string[];
  description: string | null;
  createdBy: string;
  createdAt: string;
}
const ROLES: Role[] = ['fact_checker', 'editor', 'admin'];

export function AdminPage() {
  return (
    <main className="page" id="main">
      <h1>Admin</h1>
      <Users />
      <div className="grid2">
        <Webhooks />
        <Policy />
      </div>
    </main>
  );
}

function Users() {
  const qc = useQueryClient();
  const users = useQuery({ queryKey: ['users'], queryFn: () => api<{ items: AdminUser[] }>('/api/users') });
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('fact_checker');
  const [password, setPassword] = useState('');
  const [shown, setShown] = useState<string | null>(null);
  const [openTokens, setOpenTokens] = useState<string | null>(null);
  const refresh = () => qc.invalidateQueries({ queryKey: ['users'] });
  const add = useMutation({
    mutationFn: () => api<{ user: AdminUser; token?: string }>('/api/users', { method: 'POST', body: { name: name.trim(), role, ...(password ? { password } : {}) } }),
    onSuccess: (r) => {
      setName('');
      setPassword('');
      setShown(r.token ? `Token for ${r.user.name} (shown once): ${r.token}` : `Added ${r.user.name}.`);
    },
    onSettled: refresh,
  });
  const patch = useMutation({
    mutationFn: ({ id, body }: { id: string; body: { role?: Role; disabled?: boolean } }) => api(`/api/users/${id}`, { method: 'PATCH', body }),
    onSettled: refresh,
  });
  const token = useMutation({
    mutationFn: (u: AdminUser) => api<{ token: string }>(`/api/users/${u.id}/tokens`, { method: 'POST', body: { label: 'web' } }).then((r) => ({ r, u })),
    onSuccess: ({ r, u }) => setShown(`New token for ${u.name} (shown once): ${r.token}`),
    onSettled: () => qc.invalidateQueries({ queryKey: ['tokens'] }),
  });
  const onAdd = (e: FormEvent) => {
    e.preventDefault();
    add.mutate();
  };
  return (
    <section aria-labelledby="users-title" className="card">
      <h2 id="users-title">Users and roles</h2>
      <ErrorNote error={users.error ?? patch.error ?? token.error} />
      {shown ? (
        <p className="success" role="status">
          <code className="break">{shown}</code>
        </p>
      ) : null}
      <div className="table-wrap">
        <table className="dense">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Role</th>
              <th scope="col">Since</th>
              <th scope="col">Status</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {(users.data?.items ?? []).map((u) => (
              <tr key={u.id}>
                <td>{u.name}</td>
                <td>
                  <select aria-label={`Role of ${u.name}`} value={u.role} onChange={(e) => patch.mutate({ id: u.id, body: { role: e.target.value as Role } })}>
                    {ROLES.map((r) => (
                      <option key={r} value={r}>
                        {label(r)}
                      </option>
                    ))}
                  </select>
                </td>
                <td className="nowrap">{dateTime(u.createdAt)}</td>
                <td>{u.disabled ? 'Disabled' : u.hasPassword ? 'Active' : 'Token only'}</td>
                <td className="actions">
                  <button type="button" className="small" onClick={() => patch.mutate({ id: u.id, body: { disabled: !u.disabled } })}>
                    {u.disabled ? 'Enable' : 'Disable'}
                    <span className="sr-only"> {u.name}</span>
                  </button>{' '}
                  <button type="button" className="small" onClick={() => token.mutate(u)}>
                    New token<span className="sr-only"> for {u.name}</span>
                  </button>{' '}
                  <ResetPassword user={u} />{' '}
                  <button type="button" className="small" aria-expanded={openTokens === u.id} onClick={() => setOpenTokens(openTokens === u.id ? null : u.id)}>
                    Tokens<span className="sr-only"> of {u.name}</span>
                  </button>
                  {openTokens === u.id ? <TokenList user={u} /> : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <form onSubmit={onAdd} className="inline-form add-user" aria-labelledby="add-user-title">
        <h3 id="add-user-title">Add a user</h3>
        <div className="field">
          <label htmlFor="nu-name">Name</label>
          <input id="nu-name" value={name} onChange={(e) => setName(e.target.value)} aria-describedby="nu-name-error" />
          <FieldError error={add.error} field="name" id="nu-name-error" />
        </div>
        <div className="field">
          <label htmlFor="nu-role">Role</label>
          <select id="nu-role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {label(r)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="nu-password">Password</label>
          <input id="nu-password" type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} aria-describedby="nu-password-error" />
          <FieldError error={add.error} field="password" id="nu-password-error" />
        </div>
        <FormError error={add.error} fields={['name', 'password', 'role']} />
        <button type="submit" disabled={!name.trim() || add.isPending}>
          Add user
        </button>
      </form>
    </section>
  );
}

interface TokenInfo {
  id: string;
  label: string | null;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

function TokenList({ user }: { user: AdminUser }) {
  const qc = useQueryClient();
  const tokens = useQuery({ queryKey: ['tokens', user.id], queryFn: () => api<{ items: TokenInfo[] }>(`/api/users/${user.id}/tokens`) });
  const revoke = useMutation({
    mutationFn: (id: string) => api(`/api/tokens/${id}`, { method: 'DELETE' }),
    onSettled: () => qc.invalidateQueries({ queryKey: ['tokens', user.id] }),
  });
  return (
    <div className="token-list">
      <ErrorNote error={tokens.error ?? revoke.error} />
      {tokens.data?.items.length === 0 ? <p className="muted small-text">No tokens.</p> : null}
      <ul className="plain-list">
        {tokens.data?.items.map((t) => (
          <li key={t.id} className="small-text">
            {t.label ?? 'token'} · created {dateTime(t.createdAt)} · {t.revokedAt ? `revoked ${dateTime(t.revokedAt)}` : t.lastUsedAt ? `last used ${dateTime(t.lastUsedAt)}` : 'never used'}{' '}
            {t.revokedAt ? null : (
              <button type="button" className="small" onClick={() => revoke.mutate(t.id)} disabled={revoke.isPending}>
                Revoke<span className="sr-only"> token {t.label ?? t.id} of {user.name}</span>
              </button>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}

function ResetPassword({ user }: { user: AdminUser }) {
  const [open, setOpen] = useState(false);
  const [password, setPassword] = useState('');
  const reset = useMutation({
    mutationFn: () => api(`/api/users/${user.id}/password`, { method: 'POST', body: { password } }),
    onSuccess: () => {
      setOpen(false);
      setPassword('');
    },
  });
  if (!open) {
    return (
      <button type="button" className="small" onClick={() => setOpen(true)}>
        Reset password<span className="sr-only"> of {user.name}</span>
      </button>
    );
  }
  return (
    <form
      className="inline-reset"
      onSubmit={(e) => {
        e.preventDefault();
        reset.mutate();
      }}
    >
      <label className="sr-only" htmlFor={`pw-${user.id}`}>
        New password for {user.name}
      </label>
      <input id={`pw-${user.id}`} type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} />
      <button type="submit" className="small" disabled={!password || reset.isPending}>
        Set
      </button>
      <ErrorNote error={reset.error} />
    </form>
  );
}

function Webhooks() {
  const qc = useQueryClient();
  const hooks = useQuery({ queryKey: ['webhooks'], queryFn: () => api<{ items: Webhook[] } | Webhook[]>('/api/webhooks') });
  const list = Array.isArray(hooks.data) ? hooks.data : (hooks.data?.items ?? []);
  const [url, setUrl] = useState('');
  const [secret, setSecret] = useState<string | null>(null);
  const add = useMutation({
    mutationFn: () => api<{ webhook: Webhook; secret: string }>('/api/webhooks', { method: 'POST', body: { url: url.trim() } }),
    onSuccess: (r) => {
      setUrl('');
      setSecret(r.secret);
    },
    onSettled: () => qc.invalidateQueries({ queryKey: ['webhooks'] }),
  });
  const remove = useMutation({
    mutationFn: (id: string) => api(`/api/webhooks/${id}`, { method: 'DELETE' }),
    onSettled: () => qc.invalidateQueries({ queryKey: ['webhooks'] }),
  });
  return (
    <section aria-labelledby="hooks-title" className="card">
      <h2 id="hooks-title">Webhooks</h2>
      <ErrorNote error={hooks.error ?? remove.error} />
      {secret ? (
        <p className="success" role="status">
          Signing secret (shown once): <code className="break">{secret}</code>
        </p>
      ) : null}
      {list.length === 0 ? <p className="muted">No subscriptions.</p> : null}
      <ul className="plain-list">
        {list.map((h) => (
          <li key={h.id}>
            <span className="url">{h.url}</span> <span className="muted small-text">{h.events.join(', ')}</span>{' '}
            <button type="button" className="small" onClick={() => remove.mutate(h.id)}>
              Delete<span className="sr-only"> webhook {h.url}</span>
            </button>
          </li>
        ))}
      </ul>
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          add.mutate();
        }}
      >
        <div className="field">
          <label htmlFor="wh-url">Target URL</label>
          <input id="wh-url" type="url" value={url} onChange={(e) => setUrl(e.target.value)} aria-describedby="wh-url-error" />
          <FieldError error={add.error} field="url" id="wh-url-error" />
        </div>
        <FormError error={add.error} fields={['url']} />
        <button type="submit" disabled={!url.trim() || add.isPending}>
          Subscribe
        </button>
      </form>
    </section>
  );
}

const PRIORITY_ORDER = ['urgent', 'high', 'normal', 'low'] as const;
type PolicyPriority = (typeof PRIORITY_ORDER)[number];

interface ReviewPolicy {
  claimSlaMs: Record<PolicyPriority, number>;
  verdictSlaMs: Record<PolicyPriority, number>;
  leaseMs: number;
  maxEscalations: number;
  approvalRequiredFor: Rating[];
  approvers: number;
}

interface StoredPolicy {
  version: number;
  policy: ReviewPolicy;
  note: string | null;
  createdBy: string | null;
  createdAt: string | null;
  fixed: boolean;
}

/** The form keeps what people type (hours and minutes as text) and turns it into milliseconds only on save. */
interface PolicyDraft {
  claimHours: Record<PolicyPriority, string>;
  verdictHours: Record<PolicyPriority, string>;
  leaseMinutes: string;
  maxEscalations: string;
  approvers: string;
  approvalRequiredFor: Rating[];
  note: string;
}

const HOUR_MS = 3_600_000;
const trimNumber = (n: number) => String(Math.round(n * 1000) / 1000);

function draftOf(p: ReviewPolicy): PolicyDraft {
  const hours = (r: Record<PolicyPriority, number>) => Object.fromEntries(PRIORITY_ORDER.map((k) => [k, trimNumber(r[k] / HOUR_MS)])) as Record<PolicyPriority, string>;
  return {
    claimHours: hours(p.claimSlaMs),
    verdictHours: hours(p.verdictSlaMs),
    leaseMinutes: trimNumber(p.leaseMs / 60_000),
    maxEscalations: String(p.maxEscalations),
    approvers: String(p.approvers),
    approvalRequiredFor: [...p.approvalRequiredFor],
    note: '',
  };
}

/** Text to milliseconds; whatever is not a number goes to the server as is, which names the field that is wrong. */
const toMs = (text: string, unit: number): number => (text.trim() === '' || Number.isNaN(Number(text)) ? Number.NaN : Math.round(Number(text) * unit));
const toInt = (text: string): number => (text.trim() === '' ? Number.NaN : Number(text));

function policyOf(d: PolicyDraft): ReviewPolicy {
  const ms = (r: Record<PolicyPriority, string>) => Object.fromEntries(PRIORITY_ORDER.map((k) => [k, toMs(r[k], HOUR_MS)])) as Record<PolicyPriority, number>;
  return {
    claimSlaMs: ms(d.claimHours),
    verdictSlaMs: ms(d.verdictHours),
    leaseMs: toMs(d.leaseMinutes, 60_000),
    maxEscalations: toInt(d.maxEscalations),
    approvalRequiredFor: d.approvalRequiredFor,
    approvers: toInt(d.approvers),
  };
}

/** NaN does not survive JSON: a field left blank or typed as words is sent as the text, so the 400 names it. */
function policyBody(d: PolicyDraft): unknown {
  const p = policyOf(d);
  const orText = (n: number, text: string): number | string => (Number.isNaN(n) ? text : n);
  const perPriority = (r: Record<PolicyPriority, number>, texts: Record<PolicyPriority, string>) => Object.fromEntries(PRIORITY_ORDER.map((k) => [k, orText(r[k], texts[k])]));
  return {
    claimSlaMs: perPriority(p.claimSlaMs, d.claimHours),
    verdictSlaMs: perPriority(p.verdictSlaMs, d.verdictHours),
    leaseMs: orText(p.leaseMs, d.leaseMinutes),
    maxEscalations: orText(p.maxEscalations, d.maxEscalations),
    approvalRequiredFor: p.approvalRequiredFor,
    approvers: orText(p.approvers, d.approvers),
  };
}

function Policy() {
  const qc = useQueryClient();
  const policy = useQuery({ queryKey: ['policy'], queryFn: () => api<StoredPolicy>('/api/policy') });
  const [draft, setDraft] = useState<PolicyDraft | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const current = policy.data;
  const save = useMutation({
    mutationFn: (d: PolicyDraft) =>
      api<StoredPolicy & { changed: boolean }>('/api/policy', {
        method: 'PUT',
        body: { policy: policyBody(d), ...(d.note.trim() ? { note: d.note.trim() } : {}), expectedVersion: current?.version ?? 0 },
      }),
    onSuccess: (r) => {
      setDraft(null);
      setSaved(r.changed ? `Saved as version ${r.version}: claims in review follow it now.` : 'Nothing changed: this is the policy in force.');
    },
    onSettled: () => qc.invalidateQueries({ queryKey: ['policy'] }),
  });
  const p = current?.policy;
  const hours = (v: number) => duration(v / 1000);
  const set = (change: Partial<PolicyDraft>) => setDraft((d) => (d ? { ...d, ...change } : d));
  return (
    <section aria-labelledby="policy-title" className="card">
      <h2 id="policy-title">Review policy</h2>
      <ErrorNote error={policy.error} />
      {current ? (
        <p className="muted small-text">
          {current.version === 0 ? 'Built-in default (version 0)' : `Version ${current.version}, saved by ${current.createdBy ?? 'unknown'}${current.createdAt ? ` on ${dateTime(current.createdAt)}` : ''}`}
          {current.note ? ` — ${current.note}` : ''}
        </p>
      ) : null}
      {saved ? (
        <p className="success" role="status">
          {saved}
        </p>
      ) : null}
      {p && !draft ? (
        <>
          <dl className="facts">
            <div className="fact">
              <dt>Claimed within</dt>
              <dd>{PRIORITY_ORDER.map((k) => `${k} ${hours(p.claimSlaMs[k])}`).join(' · ')}</dd>
            </div>
            <div className="fact">
              <dt>Verdict within</dt>
              <dd>{PRIORITY_ORDER.map((k) => `${k} ${hours(p.verdictSlaMs[k])}`).join(' · ')}</dd>
            </div>
            <div className="fact">
              <dt>Lease without activity</dt>
              <dd>{hours(p.leaseMs)}</dd>
            </div>
            <div className="fact">
              <dt>Escalations at most</dt>
              <dd>{p.maxEscalations}</dd>
            </div>
            <div className="fact">
              <dt>Approval required for</dt>
              <dd>{p.approvalRequiredFor.map((r) => RATING_LABELS[r] ?? r).join(', ') || 'no rating'}</dd>
            </div>
            <div className="fact">
              <dt>Approvers</dt>
              <dd>{p.approvers}</dd>
            </div>
          </dl>
          {current && !current.fixed ? (
            <button
              type="button"
              onClick={() => {
                setSaved(null);
                save.reset();
                setDraft(draftOf(p));
              }}
            >
              Change policy
            </button>
          ) : (
            <p className="muted small-text">This deployment runs a policy set in code; it cannot be changed here.</p>
          )}
        </>
      ) : null}
      {draft ? (
        <form
          className="policy-form"
          onSubmit={(e: FormEvent) => {
            e.preventDefault();
            save.mutate(draft);
          }}
        >
          {(['claim', 'verdict'] as const).map((which) => {
            const key = which === 'claim' ? 'claimHours' : 'verdictHours';
            const field = which === 'claim' ? 'policy.claimSlaMs' : 'policy.verdictSlaMs';
            return (
              <fieldset key={which}>
                <legend>{which === 'claim' ? 'Claimed within (hours)' : 'Verdict within (hours, from the first claim)'}</legend>
                {PRIORITY_ORDER.map((k) => (
                  <span key={k} className="inline-field">
                    <label htmlFor={`${which}-${k}`}>{label(k)}</label>
                    <input id={`${which}-${k}`} inputMode="decimal" size={6} value={draft[key][k]} onChange={(e) => set({ [key]: { ...draft[key], [k]: e.target.value } } as Partial<PolicyDraft>)} />
                  </span>
                ))}
                <FieldError error={save.error} field={field} id={`${which}-error`} />
              </fieldset>
            );
          })}
          <span className="inline-field">
            <label htmlFor="lease-minutes">Lease without activity (minutes)</label>
            <input id="lease-minutes" inputMode="decimal" size={6} value={draft.leaseMinutes} aria-describedby="lease-error" onChange={(e) => set({ leaseMinutes: e.target.value })} />
          </span>
          <FieldError error={save.error} field="policy.leaseMs" id="lease-error" />
          <span className="inline-field">
            <label htmlFor="max-escalations">Escalations at most</label>
            <input id="max-escalations" inputMode="numeric" size={3} value={draft.maxEscalations} aria-describedby="escalations-error" onChange={(e) => set({ maxEscalations: e.target.value })} />
          </span>
          <FieldError error={save.error} field="policy.maxEscalations" id="escalations-error" />
          <span className="inline-field">
            <label htmlFor="approvers">Approvers (distinct editors, never the reviewer)</label>
            <input id="approvers" inputMode="numeric" size={3} value={draft.approvers} aria-describedby="approvers-error" onChange={(e) => set({ approvers: e.target.value })} />
          </span>
          <FieldError error={save.error} field="policy.approvers" id="approvers-error" />
          <fieldset>
            <legend>Approval required for</legend>
            {(Object.keys(RATING_LABELS) as Rating[]).map((r) => (
              <label key={r} className="check">
                <input
                  type="checkbox"
                  checked={draft.approvalRequiredFor.includes(r)}
                  onChange={(e) => set({ approvalRequiredFor: e.target.checked ? [...draft.approvalRequiredFor, r] : draft.approvalRequiredFor.filter((x) => x !== r) })}
                />{' '}
                {RATING_LABELS[r]}
              </label>
            ))}
          </fieldset>
          <span className="inline-field">
            <label htmlFor="policy-note">Why (kept with the version)</label>
            <input id="policy-note" value={draft.note} maxLength={2000} onChange={(e) => set({ note: e.target.value })} />
          </span>
          <FormError error={save.error} fields={['policy']} />
          <div className="actions">
            <button type="submit" disabled={save.isPending}>
              Save as a new version
            </button>
            <button type="button" onClick={() => setDraft(null)}>
              Cancel
            </button>
          </div>
        </form>
      ) : null}
    </section>
  );
}
