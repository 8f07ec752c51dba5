import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import { api, setSession } from '../api/client';

export interface SessionUser {
  id: string;
  username: string;
  name: string;
  orgId: string;
}
interface Session {
  token: string;
  user: SessionUser;
}
interface SessionContext {
  session: Session | null;
  login(username: string, password: string): Promise<void>;
  logout(): void;
}

const KEY = 'taskflow.session';
const Ctx = createContext<SessionContext | null>(null);

function restore(): Session | null {
  try {
    const raw = sessionStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as Session) : null;
  } catch {
    return null;
  }
}

/** The login session, kept for the browser tab (sessionStorage) and dropped on logout or a 401. */
export function SessionProvider({ children }: { children: ReactNode }) {
  const [session, setState] = useState<Session | null>(() => {
    const s = restore();
    setSession(s?.token ?? null);
    return s;
  });
  const logout = useCallback(() => {
    sessionStorage.removeItem(KEY);
    setSession(null);
    setState(null);
  }, []);
  setSession(session?.token ?? null, logout);
  const login = useCallback(async (username: string, password: string) => {
    const res = await api<Session>('POST', '/api/auth/login', { username, password });
    sessionStorage.setItem(KEY, JSON.stringify(res));
    setSession(res.token, logout);
    setState(res);
  }, [logout]);
  const value = useMemo(() => ({ session, login, logout }), [session, login, logout]);
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useSession(): SessionContext {
  const ctx = useContext(Ctx);
  if (!ctx) throw new Error('useSession outside SessionProvider');
  return ctx;
}
