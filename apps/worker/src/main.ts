import { sql } from 'kysely';
import { ConfigError, createLogger, onShutdown } from '@taskflow/platform';
import { createDb } from '@taskflow/store';
import { loadWorkerConfig } from './config';

/**
 * Worker node entry point. The pipeline's BullMQ processors (analysis, GitHub)
 * attach here; this process owns their connections and their orderly shutdown.
 */
async function main(): Promise<void> {
  const config = loadWorkerConfig();
  const logger = createLogger('worker', config.LOG_LEVEL).child({ node: config.NODE_ID });
  const db = createDb(config.DATABASE_URL, {
    max: config.DB_POOL_SIZE,
    applicationName: config.NODE_ID,
    onError: (err) => logger.warn({ err }, 'idle database client error'),
  });
  await sql`select 1`.execute(db);
  const keepAlive = setInterval(() => undefined, 1 << 30);
  onShutdown(logger, async () => {
    clearInterval(keepAlive);
    await db.destroy();
  });
  logger.info('worker ready');
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof ConfigError ? err.message : (err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
