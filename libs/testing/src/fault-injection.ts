import path from 'node:path';

/**
 * Environment for `spawnApp` that makes the app leave a rejected promise
 * unhandled whenever it receives SIGUSR2 (a preload script; test-only).
 */
export function unhandledRejectionOnSignal(env: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const preload = path.join(__dirname, 'unhandled-rejection.preload.cjs');
  return { ...env, NODE_OPTIONS: `${env.NODE_OPTIONS ?? ''} --require ${preload}`.trim() };
}
