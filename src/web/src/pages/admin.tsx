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

const POLICY_LABELS: Record<string, string> = {
  claimSlaMs: 'Claimed within',
  verdictSlaMs: 'Verdict within',
  leaseMs: 'Lease without activity',
  maxEscalations: 'Escalations at most',
  approvalRequiredFor: 'Approval required for',
  approvers: 'Approvers',
};

function Policy() {
  const policy = useQuery({ queryKey: ['policy'], queryFn: () => api<Record<string, unknown>>('/api/policy') });
  const p = (policy.data && 'policy' in policy.data ? policy.data.policy : policy.data) as Record<string, unknown> | undefined;
  const ms = (v: unknown) => (typeof v === 'number' ? duration(v / 1000) : String(v));
  return (
    <section aria-labelledby="policy-title" className="card">
      <h2 id="policy-title">Review policy (read-only)</h2>
      <ErrorNote error={policy.error} />
      {p ? (
        <dl className="facts">
          {Object.entries(p).map(([k, v]) => (
            <div key={k} className="fact">
              <dt>{POLICY_LABELS[k] ?? label(k)}</dt>
              <dd>
                {v && typeof v === 'object' && !Array.isArray(v)
                  ? Object.entries(v as Record<string, unknown>)
                      .map(([kk, vv]) => `${kk} ${k.endsWith('Ms') ? ms(vv) : String(vv)}`)
                      .join(' · ')
                  : Array.isArray(v)
                    ? v.map((x) => (typeof x === 'string' && x in RATING_LABELS ? RATING_LABELS[x as Rating] : String(x))).join(', ')
                    : k.endsWith('Ms')
                      ? ms(v)
                      : String(v)}
              </dd>
            </div>
          ))}
        </dl>
      ) : null}
    </section>
  );
}
