import pg from 'pg';
import { TASK_EVENTS_CHANNEL } from '@taskflow/events';
import type { Logger } from '@taskflow/platform';
import type { EventPublisher } from './outbox.publisher';

// Any constant: the advisory lock that elects one publishing worker at a time.
const PUBLISHER_LOCK = 724_251_903;

/**
 * Runs the publisher on one worker at a time: the holder of an advisory lock
 * LISTENs for commits and sweeps; the others retry the lock, so a dead leader's
 * role (and its backlog, through the sweep) is taken over within seconds.
 */
export function runPublisherLeader(opts: {
  databaseUrl: string;
  publisher: EventPublisher;
  logger: Logger;
  sweepEveryMs: number;
  sweepOlderThanMs: number;
}): () => Promise<void> {
  let client: pg.Client | undefined;
  let stopped = false;
  let sweeping = false;
  const sweep = () => {
    if (!client || sweeping) return;
    sweeping = true;
    opts.publisher
      .sweep(opts.sweepOlderThanMs)
      .then((n) => n > 0 && opts.logger.info({ events: n }, 'sweep published stale events'))
      .catch((err: unknown) => opts.logger.warn({ err }, 'sweep failed'))
      .finally(() => (sweeping = false));
  };
  const tryLead = async () => {
    if (client || stopped) return;
    const c = new pg.Client({ connectionString: opts.databaseUrl, application_name: 'taskflow-publisher' });
    c.on('error', (err) => {
      opts.logger.warn({ err: err.message }, 'publisher connection lost');
      if (client === c) client = undefined;
      void c.end().catch(() => undefined);
    });
    try {
      await c.connect();
      const { rows } = await c.query<{ locked: boolean }>('select pg_try_advisory_lock($1) as locked', [PUBLISHER_LOCK]);
      if (!rows[0]?.locked || stopped) {
        await c.end();
        return;
      }
      c.on('notification', (msg) => {
        if (msg.payload) void opts.publisher.publishTask(msg.payload);
      });
      await c.query(`LISTEN ${TASK_EVENTS_CHANNEL}`);
      client = c;
      opts.logger.info('this worker publishes task events');
      // What was committed while nobody listened.
      void opts.publisher.sweep(0).catch((err: unknown) => opts.logger.warn({ err }, 'initial sweep failed'));
    } catch (err) {
      opts.logger.debug({ err }, 'publisher lock attempt failed');
      await c.end().catch(() => undefined);
    }
  };
  void tryLead();
  const timer = setInterval(() => {
    if (client) sweep();
    else void tryLead();
  }, opts.sweepEveryMs);
  return async () => {
    stopped = true;
    clearInterval(timer);
    await opts.publisher.idle();
    if (client) await client.end().catch(() => undefined);
    client = undefined;
  };
}
