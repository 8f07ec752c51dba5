import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { LIVE_RECHECK_SECONDS, type OrgRepo } from '@taskflow/events';
import { api } from '../api/client';
import { startupOr } from '../boot/startup-requests';

/** Which views get live updates; off, the hooks poll the REST API instead. */
export interface Features {
  websocket: boolean;
  dashboard: boolean;
  taskDetail: boolean;
}
/** The app's start-up configuration: `GET /api/config` (flags) and `GET /api/repos` (the user's org's repositories). */
export interface AppConfig {
  features: Features;
  /** The org's repositories, the only ones a task can target, the default first. */
  repos: OrgRepo[];
}

/** Not known yet (null) until `/api/config` answered. */
export const AppConfigContext = createContext<AppConfig | null>(null);
/** Reads `/api/config` again now (the socket was told this user is no longer live). */

/**
 * The realtime client's side of the rollout: it reports whether the server took it out (`live:off`, LIVE_OFF), and
 * `generation` moves when a recheck says live again meanwhile, so a new client is made though the flags are the same.
 */
export interface LiveOffState {
  generation: number;
  report: (liveOff: boolean) => void;
}
const LiveOffContext = createContext<LiveOffState>({ generation: 0, report: () => undefined });

/** The recheck interval, ±20 % so that many polling pages do not ask in step. */
const recheckDelay = () => LIVE_RECHECK_SECONDS * 1000 * (0.8 + Math.random() * 0.4);

/** When `/api/config` cannot be read the app still works: no live updates, no repository to choose. */
const FALLBACK: AppConfig['features'] = { websocket: false, dashboard: false, taskDetail: false };
const NO_REPOS: OrgRepo[] = [];

/** Reads `/api/config` and the org's repositories once per login and gives them to the tree below. */
export function AppConfigProvider({ children }: { children: ReactNode }) {
  const [config, setConfig] = useState<AppConfig | null>(null);
  useEffect(() => {
    let current = true;
    void Promise.all([
      startupOr('features', () => api<Pick<AppConfig, 'features'>>('GET', '/api/config').then((c) => c.features)).catch(() => FALLBACK),
      startupOr('repos', () => api<{ repos: OrgRepo[] }>('GET', '/api/repos').then((r) => r.repos)).catch(() => NO_REPOS),
    ]).then(([features, repos]) => current && setConfig({ features, repos }));
    return () => {
      current = false;
    };
  }, []);

  // The flags are also this user's place in the live rollout (docs/operations.md): a new object only when they
  // changed, so the realtime client is made again (live, or polling) only then.
  // A client taken out of live is polling too, whatever the flags say (they may be unchanged: out and back in within
  // seconds, or the recheck failed); live again, it is replaced (`generation`).
  const [liveOff, setLiveOff] = useState(false);
  const liveOffNow = useRef(false);
  const [generation, setGeneration] = useState(0);
  const recheck = useCallback(() => {
    void api<Pick<AppConfig, 'features'>>('GET', '/api/config').then(
      ({ features }) => {
        setConfig((c) => (c && JSON.stringify(c.features) !== JSON.stringify(features) ? { ...c, features } : c));
        if (features.websocket && liveOffNow.current) {
          liveOffNow.current = false;
          setLiveOff(false);
          setGeneration((g) => g + 1);
        }
      },
      () => undefined,
    );
  }, []);
  const report = useCallback(
    (off: boolean) => {
      if (off === liveOffNow.current) return;
      liveOffNow.current = off;
      setLiveOff(off);
      if (off) recheck();
    },
    [recheck],
  );
  const liveOffState = useMemo(() => ({ generation, report }), [generation, report]);
  // While polling, ask every few seconds whether this user may go live (an operator or org admin let them in).
  const polling = config !== null && (!config.features.websocket || liveOff);
  useEffect(() => {
    if (!polling) return;
    let timer: ReturnType<typeof setTimeout>;
    const next = () => {
      timer = setTimeout(() => {
        recheck();
        next();
      }, recheckDelay());
    };
    next();
    return () => clearTimeout(timer);
  }, [polling, recheck]);

  return (
    <AppConfigContext.Provider value={config}>
      <LiveOffContext.Provider value={liveOffState}>{children}</LiveOffContext.Provider>
    </AppConfigContext.Provider>
  );
}

/** For the realtime client: report being taken out of live, and the generation that asks for a new client. */
export function useLiveOff(): LiveOffState {
  return useContext(LiveOffContext);
}

/** The start-up configuration, or null while it is loading. */
export function useAppConfig(): AppConfig | null {
  return useContext(AppConfigContext);
}

/** The org's repositories a new task can target, with their privacy (empty while the configuration loads). */
export function useOrgRepositories(): OrgRepo[] {
  return useContext(AppConfigContext)?.repos ?? NO_REPOS;
}

/** Their names (`owner/name`), the default first. */
export function useRepositories(): string[] {
  const repos = useOrgRepositories();
  return useMemo(() => repos.map((r) => r.fullName), [repos]);
}
