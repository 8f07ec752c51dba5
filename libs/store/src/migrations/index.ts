import type { Migration } from 'kysely';
import * as m0001 from './0001-initial';

/** Every migration, in order. Listed statically so bundled and source builds agree. */
export const MIGRATIONS: Record<string, Migration> = {
  '0001-initial': m0001,
};
