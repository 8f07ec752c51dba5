import { spawn } from 'node:child_process';
import { REPO_ROOT } from '../stack/cluster';
import type { ScenarioContext } from './context';

/** `npm run cluster:ctl -- <args> --json` against the harness's cluster, as an operator types it; resolves with its exit code. */
export function clusterCtl(ctx: ScenarioContext, args: string[]): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', '-s', 'cluster:ctl', '--', ...args, '--json'], {
      cwd: REPO_ROOT,
      env: { ...process.env, DATA_DIR: ctx.cluster!.dataDir },
      stdio: 'ignore',
    });
    child.once('exit', (code) => resolve(code));
  });
}
