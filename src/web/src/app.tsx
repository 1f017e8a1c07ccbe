import { lazy, Suspense, type ReactNode } from 'react';
import { Navigate, Route, Routes, useLocation } from 'react-router';
import { Layout } from './layout.tsx';
import { homeFor, useSession } from './session.ts';
import { SignInPage } from './pages/sign-in.tsx';
import type { Role } from './types.ts';

// Each page is its own chunk: the sign-in page loads only what it needs.
const QueuePage = lazy(() => import('./pages/queue.tsx').then((m) => ({ default: m.QueuePage })));
const WorkspacePage = lazy(() => import('./pages/workspace.tsx').then((m) => ({ default: m.WorkspacePage })));
const TaskPage = lazy(() => import('./pages/workspace.tsx').then((m) => ({ default: m.TaskPage })));
const DashboardPage = lazy(() => import('./pages/dashboard.tsx').then((m) => ({ default: m.DashboardPage })));
const TimelinePage = lazy(() => import('./pages/timeline.tsx').then((m) => ({ default: m.TimelinePage })));
const IngestPage = lazy(() => import('./pages/ingest.tsx').then((m) => ({ default: m.IngestPage })));
const AdminPage = lazy(() => import('./pages/admin.tsx').then((m) => ({ default: m.AdminPage })));

function Loading() {
  return (
    <p className="loading" role="status">
      Loading…
    </p>
  );
}

function RequireSignIn({ roles, children }: { roles?: Role[]; children: ReactNode }) {
  const session = useSession();
  const location = useLocation();
  if (session.isPending) return <Loading />;
  const user = session.data?.user;
  if (!user) return <Navigate to={`/signin?next=${encodeURIComponent(location.pathname + location.search)}`} replace />;
  if (roles && !roles.includes(user.role) && user.role !== 'admin') {
    return (
      <Layout>
        <main className="page" id="main">
          <h1>Not for your role</h1>
          <p>This page is for {roles.map((r) => r.replace('_', '-')).join(' or ')}s.</p>
        </main>
      </Layout>
    );
  }
  return (
    <Layout>
      <Suspense fallback={<Loading />}>{children}</Suspense>
    </Layout>
  );
}

function Home() {
  const session = useSession();
  if (session.isPending) return <Loading />;
  const user = session.data?.user;
  return <Navigate to={user ? homeFor(user.role) : '/signin'} replace />;
}

export function App() {
  return (
    <Routes>
      <Route path="/" element={<Home />} />
      <Route path="/signin" element={<SignInPage />} />
      <Route path="/queue" element={<RequireSignIn roles={['fact_checker']}><QueuePage kind="review" /></RequireSignIn>} />
      <Route path="/approvals" element={<RequireSignIn roles={['editor']}><QueuePage kind="approval" /></RequireSignIn>} />
      <Route path="/tasks/:taskId" element={<RequireSignIn><TaskPage /></RequireSignIn>} />
      <Route path="/workspace/:claimId" element={<RequireSignIn><WorkspacePage /></RequireSignIn>} />
      <Route path="/timeline/:claimId" element={<RequireSignIn><TimelinePage /></RequireSignIn>} />
      <Route path="/dashboard" element={<RequireSignIn roles={['editor']}><DashboardPage /></RequireSignIn>} />
      <Route path="/ingest" element={<RequireSignIn><IngestPage /></RequireSignIn>} />
      <Route path="/admin" element={<RequireSignIn roles={['admin']}><AdminPage /></RequireSignIn>} />
      <Route
        path="*"
        element={
          <RequireSignIn>
            <main className="page" id="main">
              <h1>Page not found</h1>
            </main>
          </RequireSignIn>
        }
      />
    </Routes>
  );
}
