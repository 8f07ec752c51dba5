import { Redis } from 'ioredis';

/** Redis's own counters (`INFO stats`, `INFO commandstats`): what a window of traffic cost Redis in bytes and commands. */
export interface RedisCounters {
  netInputBytes: number;
  netOutputBytes: number;
  commands: number;
  /** PUBLISH and SPUBLISH calls: one per broadcast (the adapter's and the publisher's). */
  publishes: number;
}

export function parseRedisInfo(info: string): RedisCounters {
  const stat = (name: string) => {
    const m = new RegExp(`^${name}:(\\d+)`, 'm').exec(info);
    if (!m) throw new Error(`Redis INFO has no ${name}`);
    return Number(m[1]);
  };
  const calls = (command: string) => Number(new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm').exec(info)?.[1] ?? 0);
  return {
    netInputBytes: stat('total_net_input_bytes'),
    netOutputBytes: stat('total_net_output_bytes'),
    commands: stat('total_commands_processed'),
    publishes: calls('publish') + calls('spublish'),
  };
}

/** Growth between two readings; null when either is missing (Redis unreachable, or restarted: a counter went back). */
export function redisDelta(a: RedisCounters | null, b: RedisCounters | null): RedisCounters | null {
  if (!a || !b) return null;
  const d = {
    netInputBytes: b.netInputBytes - a.netInputBytes,
    netOutputBytes: b.netOutputBytes - a.netOutputBytes,
    commands: b.commands - a.commands,
    publishes: b.publishes - a.publishes,
  };
  return Object.values(d).some((v) => v < 0) ? null : d;
}

/** Reads the counters of the cluster's Redis on a connection of its own (its own INFO calls add a few hundred bytes). */
export class RedisCounterSampler {
  private readonly redis: Redis;

  constructor(url: string) {
    this.redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 3000 });
  }

  /** The counters now, or null when Redis does not answer (a run goes on without them). */
  async sample(): Promise<RedisCounters | null> {
    try {
      if (this.redis.status === 'wait') await this.redis.connect();
      return parseRedisInfo(`${await this.redis.info('stats')}\n${await this.redis.info('commandstats')}`);
    } catch {
      return null;
    }
  }

  close(): void {
    this.redis.disconnect();
  }
}
