import { appendEvent } from './task-updates.commands';
import { markNotificationsRead, getNotificationPreferences, setFollow, setNotificationPreferences } from './notifications.commands';
import { isFollowing, listNotifications, notificationsOfEvents, unreadNotificationCount } from './notifications.queries';
import { createStoreFixture, type StoreFixture } from './testing';
import { transition } from './tasks.commands';
import { getTask } from './tasks.queries';
import { StaleTransitionError } from './errors';

let f: StoreFixture;
beforeAll(async () => {
  f = await createStoreFixture();
});
afterAll(() => f.close());

const repo = 'acme/payments';

/** A task of alice's with an open PR #`pr`. */
async function withOpenPr(pr: number, opts: { isPrivate?: boolean; draft?: boolean } = {}) {
  const { task } = await f.newTask(f.users.alice, { isPrivate: opts.isPrivate ?? false });
  await transition(f.db, { taskId: task.id, from: 'received', to: 'analyzing', event: 'analyzing' });
  await transition(f.db, {
    taskId: task.id,
    from: 'analyzing',
    to: 'dispatched',
    event: 'dispatched',
    patch: {
      githubIssueNumber: pr - 1,
      githubIssueUrl: `https://github.com/${repo}/issues/${pr - 1}`,
      githubBranch: `taskflow/n-${pr}`,
      dispatchedAt: new Date(),
    },
  });
  const opened = await transition(f.db, {
    taskId: task.id,
    from: 'dispatched',
    to: 'pr_open',
    event: 'pr_opened',
    patch: { prNumber: pr, prUrl: `https://github.com/${repo}/pull/${pr}`, prTitle: 'Fix', prState: opts.draft ? 'draft' : 'ready' },
    detail: { actor: 'octocat', actorKind: 'github' },
  });
  return opened;
}

describe('appendEvent (same status, own seq)', () => {
  it('changes PR fields without changing the status and writes the event with the next seq', async () => {
    const opened = await withOpenPr(11, { draft: true });
    expect(opened.event.payload).toMatchObject({ prState: 'draft', detail: { actor: 'octocat', actorKind: 'github' } });
    const ready = await appendEvent(f.db, {
      taskId: opened.task.id,
      event: 'pr_updated',
      statuses: ['pr_open'],
      prNumber: 11,
      patch: { prState: 'ready' },
      facts: { action: 'ready_for_review' },
    });
    expect(ready.task).toMatchObject({ status: 'pr_open', seq: opened.task.seq + 1, prState: 'ready' });
    expect(ready.event).toMatchObject({
      seq: opened.task.seq + 1,
      eventType: 'pr_updated',
      payload: { status: 'pr_open', action: 'ready_for_review', prState: 'ready' },
    });
  });

  it('refuses (writing nothing) when the task is no longer in the expected status or has another PR', async () => {
    const opened = await withOpenPr(21);
    const base = {
      taskId: opened.task.id,
      event: 'checks_completed' as const,
      patch: { checksState: 'passing' as const, checksUrl: 'https://github.com/x' },
      facts: { checkName: 'ci' },
    };
    await expect(appendEvent(f.db, { ...base, statuses: ['merged'] })).rejects.toBeInstanceOf(StaleTransitionError);
    await expect(appendEvent(f.db, { ...base, statuses: ['pr_open'], prNumber: 99 })).rejects.toBeInstanceOf(StaleTransitionError);
    const after = await getTask(f.db, 'system', opened.task.id);
    expect(after?.task).toMatchObject({ seq: opened.task.seq, checksState: null });
  });
});

describe('notifications', () => {
  it('are written in the event transaction to the creator and followers, not to others', async () => {
    const { task } = await f.newTask(f.users.alice);
    await setFollow(f.db, f.users.bob.id, task.id, true);
    await setFollow(f.db, f.users.carol.id, task.id, true); // another org: must not hear about it
    await transition(f.db, { taskId: task.id, from: 'received', to: 'analyzing', event: 'analyzing' });
    const asked = await transition(f.db, {
      taskId: task.id,
      from: 'analyzing',
      to: 'needs_clarification',
      event: 'clarification_needed',
      patch: { clarificationQuestions: ['Which card?'] },
    });
    const pushed = await notificationsOfEvents(f.db, task.id, [asked.event.seq]);
    expect(pushed.map((n) => n.userId).sort()).toEqual([f.users.alice.id, f.users.bob.id].sort());
    expect(pushed[0]?.notification).toMatchObject({
      kind: 'needs_clarification',
      taskId: task.id,
      seq: asked.event.seq,
      taskTitle: task.title,
      readAt: null,
    });
    expect(pushed[0]?.notification.message).toContain(task.title);
    expect(await listNotifications(f.db, f.users.carol.id)).toEqual([]);
    // The analyzing event raised nothing.
    expect(await notificationsOfEvents(f.db, task.id, [asked.event.seq - 1])).toEqual([]);
  });

  it('a private task notifies only its creator, even if someone follows it', async () => {
    const { task } = await f.newTask(f.users.alice, { isPrivate: true });
    await setFollow(f.db, f.users.bob.id, task.id, true);
    const failed = await transition(f.db, {
      taskId: task.id,
      from: 'received',
      to: 'failed',
      event: 'failed',
      patch: { errorMessage: 'x' },
    });
    expect((await notificationsOfEvents(f.db, task.id, [failed.event.seq])).map((n) => n.userId)).toEqual([f.users.alice.id]);
  });

  it('respect preferences, count unread, and are marked read by id or all at once', async () => {
    const bob = f.users.bob;
    await setNotificationPreferences(f.db, bob.id, ['merged']);
    expect(await getNotificationPreferences(f.db, bob.id)).toEqual(['merged']);
    const { task } = await f.newTask(bob);
    await transition(f.db, { taskId: task.id, from: 'received', to: 'failed', event: 'failed', patch: { errorMessage: 'x' } });
    expect(await unreadNotificationCount(f.db, bob.id)).toBe(1); // the needs_clarification of the first test only
    await setNotificationPreferences(f.db, bob.id, ['merged', 'failed']);
    const { task: t2 } = await f.newTask(bob);
    await transition(f.db, { taskId: t2.id, from: 'received', to: 'failed', event: 'failed', patch: { errorMessage: 'y' } });
    expect(await unreadNotificationCount(f.db, bob.id)).toBe(2);
    const [newest] = await listNotifications(f.db, bob.id);
    expect(newest).toMatchObject({ kind: 'failed', taskId: t2.id });
    expect(await markNotificationsRead(f.db, bob.id, { ids: [newest!.id] })).toEqual([newest!.id]);
    // Alice cannot mark Bob's notifications.
    expect(await markNotificationsRead(f.db, f.users.alice.id, { ids: [newest!.id] })).toEqual([]);
    expect(await unreadNotificationCount(f.db, bob.id)).toBe(1);
    expect((await markNotificationsRead(f.db, bob.id, { all: true })).length).toBe(1);
    expect(await unreadNotificationCount(f.db, bob.id)).toBe(0);
    expect(await listNotifications(f.db, bob.id, { unread: true })).toEqual([]);
  });

  it('PR sub-states notify: ready for review, changes requested, CI failed, merged', async () => {
    const opened = await withOpenPr(31, { draft: true });
    const id = opened.task.id;
    const kinds = async () =>
      (await listNotifications(f.db, f.users.alice.id))
        .filter((n) => n.taskId === id)
        .map((n) => n.kind)
        .reverse();
    expect(await kinds()).toEqual([]); // a draft is not ready for review
    await appendEvent(f.db, {
      taskId: id,
      event: 'pr_updated',
      statuses: ['pr_open'],
      patch: { prState: 'ready' },
      facts: { action: 'ready_for_review' },
    });
    await appendEvent(f.db, {
      taskId: id,
      event: 'review_submitted',
      statuses: ['pr_open'],
      patch: { reviewState: 'changes_requested' },
      facts: { outcome: 'changes_requested', reviewer: 'bob', url: 'https://github.com/r' },
    });
    await appendEvent(f.db, {
      taskId: id,
      event: 'checks_completed',
      statuses: ['pr_open'],
      patch: { checksState: 'failing', checksUrl: 'https://github.com/c' },
      facts: { checkName: 'ci' },
    });
    await appendEvent(f.db, {
      taskId: id,
      event: 'checks_completed',
      statuses: ['pr_open'],
      patch: { checksState: 'passing', checksUrl: 'https://github.com/c' },
      facts: { checkName: 'ci' },
    });
    await transition(f.db, {
      taskId: id,
      from: 'pr_open',
      to: 'merged',
      event: 'pr_merged',
      patch: { mergeCommitSha: 'abc', mergedAt: new Date(), prState: 'merged' },
    });
    expect(await kinds()).toEqual(['pr_ready', 'changes_requested', 'ci_failed', 'merged']);
  });

  it('follow and unfollow', async () => {
    const { task } = await f.newTask(f.users.alice);
    await setFollow(f.db, f.users.bob.id, task.id, true);
    await setFollow(f.db, f.users.bob.id, task.id, true);
    expect(await isFollowing(f.db, f.users.bob.id, task.id)).toBe(true);
    await setFollow(f.db, f.users.bob.id, task.id, false);
    expect(await isFollowing(f.db, f.users.bob.id, task.id)).toBe(false);
  });
});

describe('retry', () => {
  it('clears everything of the previous attempt', async () => {
    const opened = await withOpenPr(41);
    const id = opened.task.id;
    await appendEvent(f.db, {
      taskId: id,
      event: 'checks_completed',
      statuses: ['pr_open'],
      patch: { checksState: 'failing', checksUrl: 'https://github.com/c' },
      facts: { checkName: 'ci' },
    });
    await transition(f.db, {
      taskId: id,
      from: 'pr_open',
      to: 'failed',
      event: 'pr_closed',
      patch: { errorMessage: 'closed', prState: 'closed' },
    });
    const retried = await transition(f.db, { taskId: id, from: 'failed', to: 'received', event: 'retried', actorId: f.users.alice.id });
    expect(retried.task).toMatchObject({
      status: 'received',
      retryCount: 1,
      githubIssueNumber: null,
      githubIssueUrl: null,
      githubBranch: null,
      prNumber: null,
      prUrl: null,
      prState: null,
      checksState: null,
      checksUrl: null,
      errorMessage: null,
    });
    expect(retried.event.payload).toMatchObject({ detail: { actor: 'Alice', actorKind: 'user' } });
  });
});
