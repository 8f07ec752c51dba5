import type pg from 'pg';

/** What clients and checks need of a running stack: `npm run cluster` here, or docker-compose's containers. */
export interface StackAccess {
  /** Where users reach it: HAProxy. */
  readonly url: string;
  /** The secret GitHub signs its deliveries with. */
  readonly webhookSecret: string;
  /** The committed state, straight from PostgreSQL. */
  db(): pg.Pool;
}
