import { toTimelineEvent } from '@taskflow/events';
import type { TaskEventRow } from '@taskflow/store';

/** A page of events (ascending) as the wire has it: `olderCursor` is the `before` of the page preceding it. */
export function timelinePage(events: readonly TaskEventRow[], hasOlder: boolean) {
  return { events: events.map(toTimelineEvent), hasOlder, olderCursor: hasOlder ? (events[0]?.seq ?? null) : null };
}
