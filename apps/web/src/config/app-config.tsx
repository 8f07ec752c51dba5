import { createContext, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import type { OrgRepo } from '@taskflow/events';
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
  return <AppConfigContext.Provider value={config}>{children}</AppConfigContext.Provider>;
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
