import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import type { TimelineEvent } from '@taskflow/events';
import { TimelineEntry } from './timeline-entry';

/** How close to its end (px) the list counts as read to the bottom: rounding and a last partial line. */
const BOTTOM_SLACK_PX = 8;

const atBottom = (el: HTMLElement) => el.scrollHeight - el.scrollTop - el.clientHeight <= BOTTOM_SLACK_PX;

/**
 * The task's events in a scroll box of their own. Only the box follows new events, and only while the reader is at
 * its bottom: the window never moves (the title, stepper and clarification form stay where the reader left them).
 * Scrolled up, new events wait behind an "N new events" button that scrolls the box down.
 */
export function TaskTimeline({
  events,
  hasOlder,
  loadOlder,
}: {
  events: TimelineEvent[];
  hasOlder: boolean;
  loadOlder: () => Promise<void>;
}) {
  const list = useRef<HTMLOListElement>(null);
  const [loading, setLoading] = useState(false);
  const [failed, setFailed] = useState(false);
  const latest = events[events.length - 1]?.seq ?? 0;
  // Following: the reader is at the box's bottom (as of the last scroll), so new events scroll into view.
  const [following, setFollowing] = useState(true);
  // The same, for the observer below (set where the state is, never during render).
  const followingNow = useRef(true);
  const follow = (on: boolean) => {
    followingNow.current = on;
    setFollowing(on);
  };
  const [seenUpTo, setSeenUpTo] = useState(latest);
  if (following && seenUpTo !== latest) setSeenUpTo(latest);
  const unseen = following ? 0 : events.filter((e) => e.seq > seenUpTo).length;

  useLayoutEffect(() => {
    // On a new event only (older pages put in front must not move the reader), and the box's own scroll only:
    // scrollIntoView would scroll the window too.
    const el = list.current;
    if (el && followingNow.current) el.scrollTop = el.scrollHeight;
  }, [latest]);
  useEffect(() => {
    // An entry that grows after it was scrolled to (a relative time that wraps on a phone) keeps the box at its bottom.
    const el = list.current;
    if (!el) return;
    const observer = new MutationObserver(() => {
      if (followingNow.current) el.scrollTop = el.scrollHeight;
    });
    observer.observe(el, { childList: true, subtree: true, characterData: true });
    return () => observer.disconnect();
  }, []);

  const toBottom = () => {
    const el = list.current;
    if (el) el.scrollTop = el.scrollHeight;
    follow(true);
    setSeenUpTo(latest);
  };
  const older = () => {
    setLoading(true);
    setFailed(false);
    loadOlder()
      .catch(() => setFailed(true))
      .finally(() => setLoading(false));
  };
  return (
    <>
      {hasOlder && (
        <p>
          <button type="button" onClick={older} disabled={loading}>
            {loading ? 'Loading older events…' : 'Load older events'}
          </button>
          {failed && <span role="alert"> Could not load older events; try again.</span>}
        </p>
      )}
      <div className="timeline-box">
        <ol className="timeline" aria-label="Timeline" tabIndex={0} ref={list} onScroll={(e) => follow(atBottom(e.currentTarget))}>
          {events.map((e) => (
            <li key={e.seq} data-event={e.eventType}>
              <TimelineEntry event={e} />
            </li>
          ))}
        </ol>
        {unseen > 0 && (
          <button type="button" className="new-events" onClick={toBottom}>
            {unseen === 1 ? '1 new event' : `${unseen} new events`}
          </button>
        )}
      </div>
    </>
  );
}
