/** The product's counter of bytes a node's Socket.IO adapter got from Redis pub/sub (docs/operations.md). */
const BYTES = /^taskflow_redis_pubsub_received_bytes_total ([\d.e+-]+)$/m;

/** Bytes per node over a window, keyed by the node's metrics address (`host:port`). */
export type PubSubBytes = Record<string, number>;

/**
 * Reads every server node's pub/sub byte counter: with one Redis every node receives every broadcast, with a Redis
 * Cluster (sharded adapter, dynamic subscriptions) only its rooms' — the figure that compares the two.
 */
export class PubSubBytesSampler {
  constructor(private readonly nodeUrls: () => Promise<string[]>) {}

  /** Each node's counter now; null when a node did not answer or does not export it. */
  async sample(): Promise<PubSubBytes | null> {
    try {
      const read = await Promise.all(
        (await this.nodeUrls()).map(async (url) => {
          const text = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(3000) }).then((r) => r.text());
          const m = BYTES.exec(text);
          if (!m) throw new Error(`${url}/metrics has no taskflow_redis_pubsub_received_bytes_total`);
          return [new URL(url).host, Number(m[1])] as const;
        }),
      );
      return Object.fromEntries(read);
    } catch {
      return null;
    }
  }
}

/** Growth per node between two readings; null when either is missing, a node is in one only, or a counter went back (a restart). */
export function pubSubDelta(a: PubSubBytes | null, b: PubSubBytes | null): PubSubBytes | null {
  if (!a || !b) return null;
  if (Object.keys(a).length !== Object.keys(b).length) return null;
  const grown: PubSubBytes = {};
  for (const [node, after] of Object.entries(b).sort(([x], [y]) => x.localeCompare(y))) {
    const before = a[node];
    if (before === undefined || after < before) return null;
    grown[node] = after - before;
  }
  return grown;
}
