import { ConfigError, createLogger } from '@taskflow/platform';
import { createDb, migrateToLatest, seedDemo } from '@taskflow/store';
import { loadMigrateConfig } from './config';

/**
 * Applies pending migrations (and seeds the demo users when SEED_DEMO is true),
 * then exits: the one-shot job that runs before the server nodes in containers,
 * so nodes can start with MIGRATE_ON_START=false. Safe to run twice or beside a
 * node migrating on its own: the migrator and the seed take advisory locks.
 */
async function main(): Promise<void> {
  const config = loadMigrateConfig();
  const logger = createLogger('migrate', config.LOG_LEVEL).child({ node: config.NODE_ID });
  const db = createDb(config.DATABASE_URL, { max: 2, applicationName: `${config.NODE_ID}-migrate` });
  try {
    const applied = await migrateToLatest(db);
    logger.info({ applied }, applied.length ? 'applied migrations' : 'schema already up to date');
    if (config.SEED_DEMO) {
      const { created } = await seedDemo(db, config.DEMO_PASSWORD);
      logger.info({ created }, 'seeded demo users');
    }
  } finally {
    await db.destroy();
  }
}

main().catch((err: unknown) => {
  // Before the logger exists the only place to report is stderr.
  process.stderr.write(`${err instanceof ConfigError ? err.message : ((err as Error)?.stack ?? String(err))}\n`);
  process.exit(1);
});
