import { useEffect, useState, useSyncExternalStore } from 'react';
import type { TaskFeed, TaskFeedState, TaskView, Viewers } from '@taskflow/client';
import { useFeedClient } from './socket';

export interface TaskSubscription {
  view: TaskView | undefined;
  viewers: Viewers;
  /** Only when the server says there is no such task, or the viewer may not see it (NOT_FOUND, FORBIDDEN). */
  notFound: boolean;
  /** Why the view could not be read (a join refused for good for another reason, a failed REST read); null when fine. */
  error: string | null;
  /** Replace the view after an action answered with the task (the live event will follow and be deduplicated). */
  refresh(): Promise<void>;
  /** Fetch the page of events before the oldest shown (the view's `olderCursor` says whether there is one). */
  loadOlder(): Promise<void>;
}

const noSubscribe = () => () => undefined;
type Shown = Pick<TaskFeedState, 'view' | 'viewers' | 'notFound' | 'error'>;
const NOTHING: Shown = Object.freeze({ viewers: [], notFound: false });
const nothing = (): Shown => NOTHING;
const idle = async () => undefined;

/** One task, live (TaskFeed of @taskflow/client); without live updates the feed polls the REST API. */
export function useTaskSubscription(taskId: string): TaskSubscription {
  const client = useFeedClient('taskDetail');
  const [opened, setOpened] = useState<TaskFeed | null>(null);
  useEffect(() => {
    if (!client) return;
    const feed = client.task(taskId);
    // The feed is this effect's resource (it joins a room): handing it to the render is the effect's result.
    // eslint-disable-next-line react-hooks/set-state-in-effect -- one render per task, it cannot be created during render
    setOpened(feed);
    return () => feed.close();
  }, [client, taskId]);
  // For another task (or client) the hook shows nothing until that task's feed is open, in the same render.
  const feed = opened && opened.taskId === taskId && opened.client === client ? opened : null;
  const state = useSyncExternalStore<Shown>(feed?.subscribe ?? noSubscribe, feed?.getSnapshot ?? nothing);
  // A new view is committed: once the browser has painted it (the next frame), the feed reports the live events
  // GitHub's webhooks caused that it shows (the operators' webhook → screen histogram).
  useEffect(() => {
    if (!feed || !state.view) return;
    // A hidden tab paints nothing until it is shown again: not counted, rather than timed with the time it was hidden.
    if (document.visibilityState === 'hidden') return feed.reportShown(false);
    const frame = requestAnimationFrame(() => setTimeout(() => feed.reportShown(), 0));
    return () => cancelAnimationFrame(frame);
  }, [feed, state.view]);
  return {
    view: state.view,
    viewers: state.viewers,
    notFound: state.notFound,
    error: state.error ? state.error.message : null,
    refresh: feed ? () => feed.refresh() : idle,
    loadOlder: feed ? () => feed.loadOlder() : idle,
  };
}
