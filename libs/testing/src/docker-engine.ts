import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnTestProcess, type TestProcess } from './test-process';

export interface DockerEngine {
  /** For DOCKER_HOST: the engine's own socket. */
  readonly host: string;
  /** Environment for `docker` and `docker-compose` talking to this engine. */
  env(): NodeJS.ProcessEnv;
  /** Stops its containers and the engine, then removes everything it stored. */
  stop(): Promise<void>;
}

/** Why no engine could be started, in one line. */
export class DockerEngineUnavailable extends Error {}

const onPath = (bin: string) => spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' }).status === 0;

/**
 * A Docker engine of the test's own (Debian's docker.io): its own socket, state and images in a
 * temporary folder, no iptables rules on the host, no default bridge. Compose networks are
 * user-defined bridges, so containers reach each other and Docker's DNS; published ports are
 * served by docker-proxy on the host. Registered as a test process: it is ended with its scope
 * (`suite`), whatever happens to the test.
 */
export async function startDockerEngine(opts: { deadlineMs: number; readyTimeoutMs?: number }): Promise<DockerEngine> {
  if (process.getuid?.() !== 0) throw new DockerEngineUnavailable('a Docker engine needs root, and this run is not root');
  for (const bin of ['dockerd', 'docker', 'docker-compose'])
    if (!onPath(bin)) throw new DockerEngineUnavailable(`${bin} is not installed (Debian: apt-get install docker.io docker-compose)`);
  // Short: a unix socket's path is limited to 107 bytes.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-docker-'));
  const host = `unix://${dir}/docker.sock`;
  const env = (): NodeJS.ProcessEnv => ({ ...process.env, DOCKER_HOST: host, COMPOSE_INTERACTIVE_NO_CLI: '1' });
  const args = [
    '--iptables=false',
    '--ip6tables=false',
    '--bridge=none',
    `--data-root=${dir}/data`,
    `--exec-root=${dir}/exec`,
    `--pidfile=${dir}/docker.pid`,
    `--host=${host}`,
    '--shutdown-timeout=5',
  ];
  const daemon: TestProcess = spawnTestProcess('dockerd', args, {
    name: 'dockerd',
    deadlineMs: opts.deadlineMs,
    scope: 'suite',
    graceMs: 30_000,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const removeDir = () => {
    // Mounts of containers a killed engine did not unmount would make the removal fail.
    spawnSync('sh', ['-c', `grep -o " ${dir}[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l`], { stdio: 'ignore' });
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 60_000);
  for (;;) {
    if (spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { env: env(), stdio: 'ignore', timeout: 5000 }).status === 0) break;
    const exited = await Promise.race([daemon.exited, new Promise((r) => setTimeout(() => r('running'), 500))]);
    if (exited !== 'running' || Date.now() > deadline) {
      await daemon.kill();
      removeDir();
      const last = daemon.output().trim().split('\n').at(-1) ?? '';
      throw new DockerEngineUnavailable(
        `dockerd ${exited === 'running' ? 'did not answer within its start-up time' : `exited (${String(exited)})`}: ${last}`,
      );
    }
  }
  return {
    host,
    env,
    async stop() {
      await daemon.stop('SIGTERM', 30_000);
      removeDir();
    },
  };
}
