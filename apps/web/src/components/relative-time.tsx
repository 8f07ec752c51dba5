import { useCallback, useSyncExternalStore } from 'react';
import { clockNow, subscribeClock } from './relative-clock';

const UNITS: Array<[Intl.RelativeTimeFormatUnit, number]> = [
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
  ['second', 1000],
];
const format = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });

function relative(iso: string, now: number): string {
  // Every time shown is past. One ahead of the page's clock was stamped after its last tick, or by a server whose
  // clock is a little ahead of this browser's: "now", never "in 1 second".
  const diff = Math.min(0, Date.parse(iso) - now);
  for (const [unit, ms] of UNITS) {
    if (Math.abs(diff) >= ms || unit === 'second') return format.format(Math.round(diff / ms), unit);
  }
  return '';
}

/**
 * "3 minutes ago", kept current by the page's one clock (every second while under a minute old, then slower), with
 * the exact time on hover. Re-rendered only when its text changes.
 */
export function RelativeTime({ iso }: { iso: string }) {
  const subscribe = useCallback((listener: () => void) => subscribeClock(Date.parse(iso), listener), [iso]);
  const text = useSyncExternalStore(subscribe, () => relative(iso, clockNow()));
  return (
    <time dateTime={iso} title={new Date(iso).toLocaleString()}>
      {text}
    </time>
  );
}
