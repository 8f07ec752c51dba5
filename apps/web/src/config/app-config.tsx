import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { LIVE_RECHECK_SECONDS, type OrgRepo } from '@taskflow/events';
import { api } from '../api/client';

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
const FeaturesRecheckContext = createContext<() => void>(() => undefined);

/** When `/api/config` cannot be read the app still works: no live updates, no repository to choose. */
const FALLBACK: AppConfig['features'] = { websocket: false, dashboard: false, taskDetail: false };
const NO_REPOS: OrgRepo[] = [];

/** Reads `/api/config` and the org's repositories once per login and gives them to the tree below. */
export function AppConfigProvider({ children }: { children: ReactNode }) {
  const [config, setConfig] = useState<AppConfig | null>(null);
  useEffect(() => {
    let current = true;
    void Promise.all([
      api<Pick<AppConfig, 'features'>>('GET', '/api/config').then(
        (c) => c.features,
        () => FALLBACK,
      ),
      api<{ repos: OrgRepo[] }>('GET', '/api/repos').then(
        (r) => r.repos,
        () => NO_REPOS,
      ),
    ]).then(([features, repos]) => current && setConfig({ features, repos }));
    return () => {
      current = false;
    };
  }, []);

  // The flags are also this user's place in the live rollout (docs/operations.md): a new object only when they
  // changed, so the realtime client is made again (live, or polling) only then.
  const recheck = useCallback(() => {
    void api<Pick<AppConfig, 'features'>>('GET', '/api/config').then(
      ({ features }) => setConfig((c) => (c && JSON.stringify(c.features) !== JSON.stringify(features) ? { ...c, features } : c)),
      () => undefined,
    );
  }, []);
  // While polling, ask every few seconds whether this user may go live (an operator or org admin let them in).
  const polling = config !== null && !config.features.websocket;
  useEffect(() => {
    if (!polling) return;
    const timer = setInterval(recheck, LIVE_RECHECK_SECONDS * 1000);
    return () => clearInterval(timer);
  }, [polling, recheck]);

  return (
    <AppConfigContext.Provider value={config}>
      <FeaturesRecheckContext.Provider value={recheck}>{children}</FeaturesRecheckContext.Provider>
    </AppConfigContext.Provider>
  );
}

/** Asks the server again for the flags (after the socket was told this user is not live any more). */
export function useFeaturesRecheck(): () => void {
  return useContext(FeaturesRecheckContext);
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
