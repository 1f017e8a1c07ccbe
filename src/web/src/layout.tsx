import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useRef, type ReactNode } from 'react';
import { NavLink, useNavigate } from 'react-router';
import { api, setSigningOut } from './api.ts';
import { useShortcuts } from './keys.ts';
import { useLiveEvents } from './live.ts';
import { setShortcutsEnabled, useShortcutsEnabled } from './prefs.ts';
import { sessionKey, useSession } from './session.ts';

const KEYS: [string, string][] = [
  ['j / k', 'next / previous task in a queue'],
  ['Enter or o', 'open the selected task'],
  ['c', 'claim the selected or open task'],
  ['r', 'release it back to the queue'],
  ['u', 'back to the list'],
  ['a', 'approve (approval task)'],
  ['s', 'send back with a comment (approval task)'],
  ['/', 'search the queue'],
  ['?', 'this list'],
];

export function Layout({ children }: { children: ReactNode }) {
  const session = useSession();
  const user = session.data?.user;
  const qc = useQueryClient();
  const navigate = useNavigate();
  const shortcuts = useShortcutsEnabled();
  const help = useRef<HTMLDialogElement>(null);
  useLiveEvents(Boolean(user));
  useShortcuts({ '?': () => help.current?.showModal() });

  const signOut = useMutation({
    mutationFn: () => api<void>('/api/session', { method: 'DELETE' }),
    onMutate: async () => {
      setSigningOut(true);
      await qc.cancelQueries({ predicate: (q) => q.queryKey[0] !== 'session' });
    },
    onSettled: async () => {
      qc.setQueryData(sessionKey, null);
      qc.removeQueries({ predicate: (q) => q.queryKey[0] !== 'session' });
      await navigate('/signin', { replace: true });
      setSigningOut(false);
    },
  });

  const role = user?.role;
  const isEditor = role === 'editor' || role === 'admin';
  return (
    <div className="shell">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">claimdesk</span>
        <nav aria-label="Main">
          {role === 'fact_checker' || role === 'admin' ? <NavLink to="/queue">Review queue</NavLink> : null}
          {isEditor ? <NavLink to="/approvals">Approvals</NavLink> : null}
          {isEditor ? <NavLink to="/dashboard">Dashboard</NavLink> : null}
          <NavLink to="/ingest">Ingest</NavLink>
          {role === 'admin' ? <NavLink to="/admin">Admin</NavLink> : null}
        </nav>
        <div className="topbar-right">
          <label className="toggle">
            <input type="checkbox" checked={shortcuts} onChange={(e) => setShortcutsEnabled(e.target.checked)} />
            Shortcuts
          </label>
          <button type="button" className="link" onClick={() => help.current?.showModal()}>
            Keys
          </button>
          {user ? (
            <span className="who" title={user.role}>
              {user.name} <span className="muted">· {user.role.replace('_', '-')}</span>
            </span>
          ) : null}
          <button type="button" onClick={() => signOut.mutate()} disabled={signOut.isPending}>
            Sign out
          </button>
        </div>
      </header>
      {children}
      <dialog ref={help} aria-labelledby="keys-title" className="help">
        <h2 id="keys-title">Keyboard shortcuts</h2>
        <p className="muted">{shortcuts ? 'Single-key shortcuts are on.' : 'Single-key shortcuts are off; turn them on with “Shortcuts” in the top bar.'}</p>
        <table className="keys">
          <tbody>
            {KEYS.map(([k, what]) => (
              <tr key={k}>
                <th scope="row">
                  <kbd>{k}</kbd>
                </th>
                <td>{what}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <form method="dialog">
          <button type="submit">Close</button>
        </form>
      </dialog>
    </div>
  );
}
