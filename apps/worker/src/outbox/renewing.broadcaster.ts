import type { Logger } from '@taskflow/platform';
import type { Broadcaster } from './outbox.publisher';

/** A broadcaster with the Redis client it owns. */
export interface BroadcasterLease {
  broadcaster: Broadcaster;
  /** Drops the client (nothing is waited for: what it had in flight is left to the sweep). */
  release(): void;
}

/**
 * Publishes through a Redis client it replaces when every publish has failed for `renewAfterMs` (and at least
 * `minFailures` times). After a Redis Cluster slot migration following a failover, the publisher's client was seen
 * timing out every SPUBLISH for as long as the run lasted while other clients of the same cluster worked: a stale
 * slot map or a wedged node connection that ioredis never rebuilt. A new client reads the slot map afresh. During a
 * real outage the new client fails as the old one did, and is replaced in turn, at most once per `renewAfterMs`;
 * events stay in the outbox for the sweep either way.
 */
export class RenewingBroadcaster implements Broadcaster {
  private lease: BroadcasterLease;
  private failingSince: number | undefined;
  private failures = 0;
  /** Clients replaced so far. */
  renewals = 0;

  constructor(
    private readonly open: () => BroadcasterLease,
    private readonly opts: { renewAfterMs: number; minFailures: number; logger: Logger; now?: () => number },
  ) {
    this.lease = open();
  }

  async publish(emits: Parameters<Broadcaster['publish']>[0]): Promise<void> {
    const lease = this.lease;
    try {
      await lease.broadcaster.publish(emits);
      if (lease !== this.lease) return;
      this.failingSince = undefined;
      this.failures = 0;
    } catch (err) {
      // A failure of a client already replaced says nothing about the new one.
      if (lease === this.lease) this.failed();
      throw err;
    }
  }

  release(): void {
    this.lease.release();
  }

  private failed(): void {
    const now = (this.opts.now ?? Date.now)();
    this.failingSince ??= now;
    this.failures += 1;
    if (this.failures < this.opts.minFailures || now - this.failingSince < this.opts.renewAfterMs) return;
    this.opts.logger.warn(
      { failures: this.failures, failingMs: now - this.failingSince },
      'every publish failed for a while: replacing the publisher’s Redis client',
    );
    const old = this.lease;
    this.lease = this.open();
    old.release();
    this.renewals += 1;
    this.failingSince = undefined;
    this.failures = 0;
  }
}
