import type { Migration } from 'kysely';
import * as m0001 from './0001-initial';
import * as m0002 from './0002-notifications-pr-state';
import * as m0003 from './0003-task-search';
import * as m0004 from './0004-sessions-and-roles';
import * as m0005 from './0005-org-repos';
import * as m0006 from './0006-session-revocation';
import * as m0007 from './0007-org-admins';
import * as m0008 from './0008-webhook-repo-case';
import * as m0009 from './0009-idempotency-keys';
import * as m0010 from './0010-live-rollout';
import * as m0011 from './0011-event-trace';

/** Every migration, in order. Listed statically so bundled and source builds agree. */
export const MIGRATIONS: Record<string, Migration> = {
  '0001-initial': m0001,
  '0002-notifications-pr-state': m0002,
  '0003-task-search': m0003,
  '0004-sessions-and-roles': m0004,
  '0005-org-repos': m0005,
  '0006-session-revocation': m0006,
  '0007-org-admins': m0007,
  '0008-webhook-repo-case': m0008,
  '0009-idempotency-keys': m0009,
  '0010-live-rollout': m0010,
  '0011-event-trace': m0011,
};
