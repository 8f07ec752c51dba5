export interface RebalanceSettings {
  /** A node sheds only while it holds more than the mean × (1 + margin). */
  margin: number;
  /** At most this share of the node's sockets moves per second (0: never). */
  maxSharePerSecond: number;
  /** Nor while it holds fewer than this many sockets above the mean: moving a handful is churn, not balance. */
  minExcess: number;
  /** How often the node decides (ms). */
  intervalMs: number;
}

/**
 * How many of its sockets a node closes in this interval so that they reconnect elsewhere: none unless it holds more
 * than its share (the mean over the live nodes, itself counted as it is now) by the margin and by `minExcess`; then
 * down to the mean × (1 + margin), but at most `maxSharePerSecond` of its sockets per second, at least one.
 * `others`: the other live nodes' socket counts (their last snapshots).
 */
export function socketsToShed(own: number, others: readonly number[], s: RebalanceSettings): number {
  if (s.maxSharePerSecond <= 0 || others.length === 0) return 0;
  const mean = (own + others.reduce((a, n) => a + n, 0)) / (others.length + 1);
  const ceiling = Math.floor(mean * (1 + s.margin));
  if (own <= ceiling || own - mean < s.minExcess) return 0;
  const perInterval = Math.max(1, Math.floor((own * s.maxSharePerSecond * s.intervalMs) / 1000));
  return Math.min(own - ceiling, perInterval);
}
