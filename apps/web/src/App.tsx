import { SessionProvider, useSession, type SessionUser } from './auth/session';
import { SignOutButtons } from './auth/sign-out-buttons';
import { ConnectionStatus } from './components/connection-status';
import { LiveAnnouncerProvider } from './components/live-announcer';
import { MAIN_CONTENT_ID, SkipLink, useFocusOnNavigation } from './components/skip-link';
import { NotificationBell } from './components/notification-bell';
import { NotificationToasts } from './components/notification-toasts';
import { UnreadTitle } from './components/unread-title';
import { DashboardPage } from './pages/dashboard-page';
import { LoginPage } from './pages/login-page';
import { StatsPage } from './pages/stats-page';
import { AdminPage } from './pages/admin-page';
import { NotFound } from './components/not-found';
import { AppConfigProvider } from './config/app-config';
import { TaskDetailPage } from './pages/task-detail-page';
import { NotificationsProvider } from './realtime/notifications';
import { OfflineActionsSync } from './offline/offline-actions';
import { RealtimeProvider } from './realtime/socket';
import { navigate, usePath } from './router';

/** Who has the Operations page: an org's admin (the org's parked jobs) and a cluster operator (everything). */
const mayOperate = (role: SessionUser['role']) => role === 'admin' || role === 'operator';

function Shell() {
  const { session } = useSession();
  const path = usePath();
  useFocusOnNavigation(path);
  if (!session) return <LoginPage />;
  const taskId = /^\/tasks\/([0-9a-f-]{36})$/i.exec(path)?.[1];
  return (
    <AppConfigProvider>
      <RealtimeProvider>
        <NotificationsProvider>
          <LiveAnnouncerProvider>
            <SkipLink />
            <header className="topbar">
              <a
                className="brand"
                href="/"
                onClick={(e) => {
                  e.preventDefault();
                  navigate('/');
                }}
              >
                Taskflow Live
              </a>
              <nav className="nav">
                <a
                  href="/"
                  onClick={(e) => {
                    e.preventDefault();
                    navigate('/');
                  }}
                  aria-current={path === '/' ? 'page' : undefined}
                >
                  Tasks
                </a>
                <a
                  href="/stats"
                  onClick={(e) => {
                    e.preventDefault();
                    navigate('/stats');
                  }}
                  aria-current={path === '/stats' ? 'page' : undefined}
                >
                  Stats
                </a>
                {mayOperate(session.user.role) && (
                  <a
                    href="/admin"
                    onClick={(e) => {
                      e.preventDefault();
                      navigate('/admin');
                    }}
                    aria-current={path === '/admin' ? 'page' : undefined}
                  >
                    Operations
                  </a>
                )}
              </nav>
              <ConnectionStatus />
              <NotificationBell />
              <span className="user">
                {session.user.name} <SignOutButtons />
              </span>
            </header>
            <div id={MAIN_CONTENT_ID} tabIndex={-1} className="main-content">
              {taskId ? (
                <TaskDetailPage key={taskId} taskId={taskId} />
              ) : path === '/stats' ? (
                <StatsPage />
              ) : path === '/admin' ? (
                // To anyone but an admin or an operator, the operations view does not exist (its API answers 404 too).
                mayOperate(session.user.role) ? (
                  <AdminPage />
                ) : (
                  <NotFound />
                )
              ) : (
                <DashboardPage />
              )}
            </div>
            <NotificationToasts />
            <UnreadTitle />
            <OfflineActionsSync />
          </LiveAnnouncerProvider>
        </NotificationsProvider>
      </RealtimeProvider>
    </AppConfigProvider>
  );
}

export function App() {
  return (
    <SessionProvider>
      <Shell />
    </SessionProvider>
  );
}
