import type { TaskflowSocket } from '@taskflow/client';

/** The User Timing mark of the page's first server frame (docs/benchmarks.md, "First connect"). */
export const FIRST_LIVE_FRAME_MARK = 'taskflow:first-live-frame';

/**
 * Marks, once per page load, when the first server frame (`dashboard:state`, `notifications:state`, …) arrives on
 * `socket`: the specification's "first connect" is page load (the mark's startTime counts from timeOrigin) to live
 * data on screen, and the browser suite reads it with `performance.getEntriesByName`. Returns the unsubscribe.
 */
export function markFirstLiveFrame(socket: TaskflowSocket, perf: Performance = performance): () => void {
  // Without User Timing (jsdom's `performance` has no getEntriesByName) there is nothing to mark.
  if (typeof perf.getEntriesByName !== 'function' || typeof perf.mark !== 'function') return () => undefined;
  const marked = () => perf.getEntriesByName(FIRST_LIVE_FRAME_MARK, 'mark').length > 0;
  if (marked()) return () => undefined;
  const first = (event: string) => {
    socket.offAny(first);
    if (!marked()) perf.mark(FIRST_LIVE_FRAME_MARK, { detail: { event } });
  };
  socket.onAny(first);
  return () => socket.offAny(first);
}
