import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import { api } from '../api/client';

/** Which views get live updates; off, the hooks poll the REST API instead. */
export interface Features {
  websocket: boolean;
  dashboard: boolean;
  taskDetail: boolean;
}
/** The app's start-up configuration, as `GET /api/config` answers it. */
export interface AppConfig {
  features: Features;
  /** The repositories a task can target (`owner/name`), the default first. */
  repos: string[];
}

/** Not known yet (null) until `/api/config` answered. */
export const AppConfigContext = createContext<AppConfig | null>(null);

/** When `/api/config` cannot be read the app still works: no live updates, no repository to choose. */
const FALLBACK: AppConfig = { features: { websocket: false, dashboard: false, taskDetail: false }, repos: [] };
const NO_REPOS: string[] = [];

/** Reads `/api/config` once per login and gives it to the tree below. */
export function AppConfigProvider({ children }: { children: ReactNode }) {
  const [config, setConfig] = useState<AppConfig | null>(null);
  useEffect(() => {
    let current = true;
    api<AppConfig>('GET', '/api/config').then(
      (c) => current && setConfig(c),
      () => current && setConfig(FALLBACK),
    );
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

/** The repositories a new task can target (empty while the configuration loads). */
export function useRepositories(): string[] {
  return useContext(AppConfigContext)?.repos ?? NO_REPOS;
}
