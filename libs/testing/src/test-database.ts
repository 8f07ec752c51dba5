import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * Test helpers shared by every project's integration tests. The PostgreSQL and
 * Redis they use are started by `npm test` (libs/devstack) and passed in as
 * TEST_DATABASE_URL (a superuser URL) and TEST_REDIS_URL.
 */
export function testEnv(name: 'TEST_DATABASE_URL' | 'TEST_REDIS_URL'): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(
      `${name} is not set. Run tests with \`npm test\`, or start services with \`npm run services\` and export the URLs it prints.`,
    );
  }
  return value;
}

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** A fresh, empty database of its own for one test file; `drop()` removes it. */
export async function createTestDatabase(prefix = 't'): Promise<TestDatabase> {
  const adminUrl = testEnv('TEST_DATABASE_URL');
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async drop() {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
