import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { api, setSession } from '../api/client';
import { startupOr } from '../boot/startup-requests';

export interface SessionUser {
  id: string;
  username: string;
  name: string;
  orgId: string;
  /** `admin`: of this org (its parked jobs at /admin); `operator`: runs the cluster (all of /admin). */
  role?: 'member' | 'admin' | 'operator';
}
/** What the page knows of its session: never the session token itself (an httpOnly cookie page scripts cannot read). */
export interface Session {
  user: SessionUser;
  /** Sent as `x-csrf-token` with every write. */
  csrfToken: string;
  expiresAt: string;
  idleSeconds: number;
}
interface SessionContext {
  session: Session | null;
  login(username: string, password: string): Promise<void>;
  /** Ends the session on the server (every tab of this browser), then here. */
  logout(): void;
  /**
   * Ends every session and API token of the user, in every browser and device (their sockets close too), then
   * here. Rejects (and stays signed in) when the server could not do it.
   */
  signOutEverywhere(): Promise<void>;
  /** The session was ended elsewhere (another tab logged out, it expired): forget it here. */
  ended(): void;
  /** The server moved the session's deadline (it slid). */
  extended(expiresAt: string): void;
}

const Ctx = createContext<SessionContext | null>(null);

/**
 * The login session, in an httpOnly cookie shared by every tab of the browser: a new tab
 * asks the server who it is (`GET /api/auth/session`) before showing anything.
 */
export function SessionProvider({ children, initial }: { children: ReactNode; initial?: Session }) {
  const [session, setState] = useState<Session | null>(initial ?? null);
  const [checked, setChecked] = useState(initial !== undefined);
  const ended = useCallback(() => {
    setSession(null);
    setState(null);
  }, []);
  setSession(session?.csrfToken ?? null, ended);
  useEffect(() => {
    if (checked) return;
    startupOr('session', () => api<Session>('GET', '/api/auth/session')).then(
      (s) => {
        setSession(s.csrfToken, ended);
        setState(s);
        setChecked(true);
      },
      () => setChecked(true),
    );
  }, [checked, ended]);
  const login = useCallback(
    async (username: string, password: string) => {
      const res = await api<Session>('POST', '/api/auth/session', { username, password });
      setSession(res.csrfToken, ended);
      setState(res);
    },
    [ended],
  );
  const logout = useCallback(() => {
    void api('DELETE', '/api/auth/session')
      .catch(() => undefined)
      .finally(ended);
  }, [ended]);
  const signOutEverywhere = useCallback(async () => {
    await api('POST', '/api/auth/sign-out-everywhere');
    ended();
  }, [ended]);
  const extended = useCallback((expiresAt: string) => setState((s) => (s ? { ...s, expiresAt } : s)), []);
  const value = useMemo(
    () => ({ session, login, logout, signOutEverywhere, ended, extended }),
    [session, login, logout, signOutEverywhere, ended, extended],
  );
  // Until the server answered, neither the login page nor the app: a logged-in new tab must not flash the login form.
  if (!checked) return null;
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useSession(): SessionContext {
  const ctx = useContext(Ctx);
  if (!ctx) throw new Error('useSession outside SessionProvider');
  return ctx;
}
