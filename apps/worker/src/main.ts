import { ConfigError, createLogger, installProcessGuards, onShutdown, startTracing, tellSupervisorReady } from '@taskflow/platform';
import { loadWorkerConfig } from './config';
import { startHeartbeat } from './heartbeat';
import { startWorkerRuntime } from './runtime';

/** Well inside the probes' one minute (find -mmin -1), so a busy moment never fails them. */
const HEARTBEAT_INTERVAL_MS = 5000;

/** Worker node: runs the pipeline's jobs (analysis, GitHub issue, webhook transitions). */
async function main(): Promise<void> {
  const config = loadWorkerConfig();
  const logger = createLogger('worker', config.LOG_LEVEL).child({ node: config.NODE_ID });
  // A failed I/O call nobody awaited is logged and counted, not fatal; an uncaught exception still exits.
  installProcessGuards(logger);
  // Before anything that could start a span; off (a no-op) unless OTEL_EXPORTER_OTLP_ENDPOINT is set.
  const stopTracing = startTracing(config.tracing, logger);
  // Signal handlers first: "worker ready" is logged inside startWorkerRuntime, and a supervisor that answers it with
  // SIGTERM at once (on a busy machine, before the next statement ran) would otherwise kill the process unclean.
  let stop = async (): Promise<void> => undefined;
  onShutdown(logger, () => stop());
  const runtime = startWorkerRuntime(config, logger);
  let stopping = false;
  let stopHeartbeat = async (): Promise<void> => undefined;
  stop = async () => {
    stopping = true;
    // Beats go on while in-flight jobs finish, so a liveness probe does not kill a worker that is stopping cleanly.
    await runtime.stop();
    await stopHeartbeat();
    await stopTracing();
  };
  // Under the local stack's supervisor: a rolling restart moves on once this worker takes jobs.
  runtime.ready.then(
    () => {
      tellSupervisorReady();
      if (config.HEARTBEAT_FILE && !stopping) {
        stopHeartbeat = startHeartbeat(config.HEARTBEAT_FILE, HEARTBEAT_INTERVAL_MS, (err) =>
          logger.warn({ err }, 'heartbeat file not written'),
        );
      }
    },
    (err: unknown) => logger.warn({ err }, 'worker not ready'),
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof ConfigError ? err.message : ((err as Error)?.stack ?? String(err))}\n`);
  process.exit(1);
});
