import { createContext, useCallback, useContext, useEffect, useEffectEvent, useRef, useState, type ReactNode } from 'react';
import type { ChecksState, PrState, ReviewState, TaskStatus } from '@taskflow/events';
import { CHECKS_LABELS, PR_LABELS, REVIEW_LABELS } from './pr-badges';
import { STATUS_LABELS } from '../status-style';

type Announce = (message: string) => void;
const AnnouncerContext = createContext<Announce>(() => undefined);

/** How long a message stays in the region: long enough for a screen reader to pick it up, short enough not to pile up. */
const CLEAR_AFTER_MS = 5000;

/**
 * One polite live region for the whole app. Messages queue up in it (a burst of changes is
 * read in order rather than the last one overwriting the others) and leave after a while.
 */
export function LiveAnnouncerProvider({ children }: { children: ReactNode }) {
  const [messages, setMessages] = useState<Array<{ id: number; text: string }>>([]);
  const next = useRef(0);
  const timers = useRef(new Set<ReturnType<typeof setTimeout>>());
  useEffect(() => {
    const pending = timers.current;
    return () => pending.forEach(clearTimeout);
  }, []);
  const announce = useCallback<Announce>((text) => {
    const id = next.current++;
    setMessages((list) => [...list.slice(-4), { id, text }]);
    const timer = setTimeout(() => {
      timers.current.delete(timer);
      setMessages((list) => list.filter((m) => m.id !== id));
    }, CLEAR_AFTER_MS);
    timers.current.add(timer);
  }, []);
  return (
    <AnnouncerContext.Provider value={announce}>
      {children}
      <div className="sr-only" role="status" aria-live="polite" aria-relevant="additions" data-testid="live-announcer">
        {messages.map((m) => (
          <p key={m.id}>{m.text}</p>
        ))}
      </div>
    </AnnouncerContext.Provider>
  );
}

const useAnnounce = (): Announce => useContext(AnnouncerContext);

export interface AnnouncedTask {
  taskId: string;
  title: string;
  status: TaskStatus;
  prState?: PrState | null;
  reviewState?: ReviewState | null;
  checksState?: ChecksState | null;
}

/** What a sighted user reads on the task's badges, as words, in the order they appear. */
function taskStateWords(t: AnnouncedTask): Record<'status' | 'pr' | 'review' | 'checks', string | null> {
  const closedUnmerged = t.status === 'failed' && t.prState === 'closed';
  const open = t.prState !== 'merged' && t.prState !== 'closed';
  return {
    status: closedUnmerged ? PR_LABELS.closed : STATUS_LABELS[t.status],
    pr: open && t.prState ? PR_LABELS[t.prState] : null,
    review: open && t.reviewState ? REVIEW_LABELS[t.reviewState] : null,
    checks: open && t.checksState ? CHECKS_LABELS[t.checksState] : null,
  };
}

/**
 * Announces live changes of the given tasks' status and PR state ("Fix payment bug: PR open").
 * The first set seen is the page loading, and a task seen for the first time has no change to
 * tell: neither is announced, so a screen reader is not read the whole list.
 */
export function useTaskChangeAnnouncer(tasks: Iterable<AnnouncedTask>): void {
  const announce = useAnnounce();
  const known = useRef(new Map<string, ReturnType<typeof taskStateWords>>());
  const list = [...tasks];
  // A stable key: re-renders that change nothing announce nothing.
  const key = list.map((t) => `${t.taskId}:${t.status}:${t.prState ?? ''}:${t.reviewState ?? ''}:${t.checksState ?? ''}`).join('|');
  const announceChanges = useEffectEvent(() => {
    for (const task of list) {
      const words = taskStateWords(task);
      const before = known.current.get(task.taskId);
      known.current.set(task.taskId, words);
      if (!before) continue;
      const changed = (['status', 'pr', 'review', 'checks'] as const)
        .filter((k) => words[k] !== null && words[k] !== before[k])
        .map((k) => words[k]);
      if (changed.length > 0) announce(`${task.title}: ${changed.join(', ')}`);
    }
  });
  // `list` is re-created each render; `key` says when it changed.
  useEffect(() => announceChanges(), [key]);
}
