import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Navigate, useNavigate, useSearchParams } from 'react-router';
import { api, errorText } from '../api.ts';
import { homeFor, sessionKey, useSession } from '../session.ts';
import type { Role, Session } from '../types.ts';

interface DemoUsers {
  demo: boolean;
  users: { name: string; role: Role; password: string }[];
}

/** Only same-app paths: `?next=https://elsewhere` must not send a fresh session away. */
function safeNext(next: string | null): string | null {
  return next && next.startsWith('/') && !next.startsWith('//') ? next : null;
}

export function SignInPage() {
  const session = useSession();
  const qc = useQueryClient();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const demo = useQuery({ queryKey: ['session-demo'], queryFn: () => api<DemoUsers>('/api/session/demo'), staleTime: Infinity });

  const signIn = useMutation({
    mutationFn: (body: { name: string; password: string }) => api<Session>('/api/session', { method: 'POST', body }),
    onSuccess: async (s) => {
      qc.setQueryData(sessionKey, s);
      await navigate(safeNext(params.get('next')) ?? homeFor(s.user.role), { replace: true });
    },
  });

  if (session.data?.user && !signIn.isPending) return <Navigate to={safeNext(params.get('next')) ?? homeFor(session.data.user.role)} replace />;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    signIn.mutate({ name: name.trim(), password });
  };

  return (
    <main className="signin" id="main">
      <div className="signin-card">
        <h1>
          <span className="brand">claimdesk</span> Sign in
        </h1>
        <form onSubmit={submit} noValidate>
          <div className="field">
            <label htmlFor="signin-name">Name</label>
            <input id="signin-name" name="username" autoComplete="username" value={name} onChange={(e) => setName(e.target.value)} required autoFocus />
          </div>
          <div className="field">
            <label htmlFor="signin-password">Password</label>
            <input id="signin-password" name="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
          </div>
          {signIn.error ? (
            <p className="error" role="alert">
              {errorText(signIn.error)}
            </p>
          ) : null}
          <button type="submit" className="primary" disabled={signIn.isPending || !name.trim() || !password}>
            {signIn.isPending ? 'Signing in…' : 'Sign in'}
          </button>
        </form>
        {demo.data?.demo && demo.data.users.length > 0 ? (
          <section className="demo" aria-labelledby="demo-title">
            <h2 id="demo-title">Demo users</h2>
            <p className="muted">This service runs with demo data. Pick a user to fill the form.</p>
            <table className="dense">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Role</th>
                  <th scope="col">Password</th>
                  <th scope="col">
                    <span className="sr-only">Use</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {demo.data.users.map((u) => (
                  <tr key={u.name}>
                    <td>{u.name}</td>
                    <td>{u.role.replace('_', '-')}</td>
                    <td>
                      <code>{u.password}</code>
                    </td>
                    <td>
                      <button
                        type="button"
                        className="small"
                        onClick={() => {
                          setName(u.name);
                          setPassword(u.password);
                        }}
                      >
                        Use<span className="sr-only"> {u.name}</span>
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        ) : null}
      </div>
    </main>
  );
}
