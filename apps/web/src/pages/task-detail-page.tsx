import { useId, useState, type FormEvent } from 'react';
import { CANCELLABLE_STATUSES, effectiveAgent, type PublicTask } from '@taskflow/events';
import { useSession } from '../auth/session';
import { ConfirmDialog } from '../components/confirm-dialog';
import { CreateTaskForm } from '../components/create-task-form';
import { useTaskChangeAnnouncer } from '../components/live-announcer';
import { RelativeTime } from '../components/relative-time';
import { FollowButton } from '../components/follow-button';
import { PendingActions } from '../components/pending-actions';
import { PrBadges } from '../components/pr-badges';
import { StatusBadge } from '../components/status-badge';
import { TaskStepper } from '../components/task-stepper';
import { TaskTimeline } from '../components/task-timeline';
import { useWebSocket } from '../realtime/socket';
import { useTaskSubscription } from '../realtime/use-task-subscription';
import { navigate } from '../router';
import { useOfflineActions } from '../offline/offline-actions';

function ClarificationForm({ task, offline }: { task: PublicTask; offline: boolean }) {
  const [answers, setAnswers] = useState<string[]>(() => task.clarificationQuestions.map(() => ''));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const errorId = useId();
  const { pending, perform } = useOfflineActions();
  // Answered while offline (maybe before a reload): kept, shown as pending, sent on reconnect.
  const queued = pending.some((p) => p.taskId === task.id && p.action.kind === 'clarify');
  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if ((await perform(task.id, { kind: 'clarify', answers })) === 'queued') setBusy(false);
    } catch (err) {
      setError((err as Error).message);
      setBusy(false);
    }
  }
  return (
    // submit() catches its own failures and shows them; React ignores a handler's promise.
    <form className="card form clarify" onSubmit={(e) => void submit(e)} aria-label="Clarification">
      <h2>The analyzer needs a few answers</h2>
      {task.clarificationQuestions.map((q, i) => (
        <label key={q}>
          {q}
          <textarea
            rows={2}
            required
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? errorId : undefined}
            value={answers[i] ?? ''}
            onChange={(e) => setAnswers((a) => a.map((x, k) => (k === i ? e.target.value : x)))}
          />
        </label>
      ))}
      {error && (
        <p className="error" role="alert" id={errorId}>
          {error}
        </p>
      )}
      <button className="primary" type="submit" disabled={busy || queued}>
        {queued ? 'Answers waiting to be sent' : busy ? 'Sending…' : offline ? 'Send answers when back online' : 'Send answers'}
      </button>
    </form>
  );
}

/** One task, live: progress, links, timeline, who is viewing, and what can be done with it. */
export function TaskDetailPage({ taskId }: { taskId: string }) {
  const { session } = useSession();
  const { status: connection } = useWebSocket();
  const { view, viewers, notFound, error: readError, loadOlder } = useTaskSubscription(taskId);
  const [cloning, setCloning] = useState(false);
  const [actionError, setActionError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<'retry' | 'cancel' | null>(null);
  const offline = connection === 'offline';
  const { pending, perform } = useOfflineActions();
  useTaskChangeAnnouncer(view ? [{ ...view.task, taskId: view.task.id }] : []);
  if (notFound)
    return (
      <main className="page">
        <p role="alert">This task does not exist, or you may not see it.</p>
      </main>
    );
  if (!view && readError)
    return (
      <main className="page">
        <p role="alert">This task could not be loaded: {readError}</p>
        <PendingActions taskId={taskId} />
      </main>
    );
  if (!view)
    return (
      <main className="page">
        <p aria-busy="true">Loading…</p>
        <PendingActions taskId={taskId} />
      </main>
    );
  const { task, events } = view;
  const mine = task.createdBy.id === session?.user.id;
  const act = async (action: 'retry' | 'cancel') => {
    setConfirming(null);
    setActionError(null);
    // Offline, it is kept and sent on reconnect (shown under Pending actions until then).
    await perform(task.id, { kind: action }).catch((err: Error) => setActionError(err.message));
  };
  const waiting = (kind: 'retry' | 'cancel') => pending.some((p) => p.taskId === task.id && p.action.kind === kind);
  const others = viewers.filter((v) => v.userId !== session?.user.id);
  return (
    <main className="page detail">
      <p>
        <a
          className="back-link"
          href="/"
          onClick={(e) => {
            e.preventDefault();
            navigate('/');
          }}
        >
          ← All tasks
        </a>
      </p>
      <header className="card">
        <div className="title-row">
          <h1>{task.title}</h1>
          <StatusBadge status={task.status} prState={task.prState} />
          <PrBadges prState={task.prState} reviewState={task.reviewState} checksState={task.checksState} checksUrl={task.checksUrl} />
        </div>
        <p className="muted">
          created by @{task.createdBy.username} · <RelativeTime iso={task.createdAt} /> · updated <RelativeTime iso={task.updatedAt} />
        </p>
        <div className="badges">
          <span className="tag">{task.repo}</span>
          <span className={`tag priority-${task.priority}`}>{task.priority}</span>
          {task.taskType && <span className="tag">{task.taskType}</span>}
          {effectiveAgent(task) && <span className="tag">agent: {effectiveAgent(task)}</span>}
          {task.isPrivate && <span className="tag">private</span>}
        </div>
        <TaskStepper status={task.status} />
        {others.length > 0 && (
          <p className="presence" aria-label="Also viewing">
            {others.map((v) => (
              <span key={v.userId} className="avatar" title={v.name}>
                {v.name
                  .split(' ')
                  .map((w) => w[0])
                  .join('')}
              </span>
            ))}{' '}
            <span className="muted">also viewing</span>
          </p>
        )}
      </header>
      <PendingActions taskId={task.id} />
      {task.status === 'needs_clarification' && mine && <ClarificationForm key={task.seq} task={task} offline={offline} />}
      {task.status === 'needs_clarification' && !mine && (
        <p className="card">Waiting for @{task.createdBy.username} to answer the analyzer’s questions.</p>
      )}
      {task.status === 'analyzing' && (
        <p className="card spinner" role="status" data-testid="analysis-status">
          {/* Answers are kept across rounds: with some, this analysis is of them (the first one has none). */}
          {task.clarificationAnswers.length > 0 ? 'Re-analyzing your answers…' : 'Analyzing the task…'} the next step appears here as soon
          as it is decided.
        </p>
      )}
      <section className="card">
        <h2>Details</h2>
        {task.summary && <p data-testid="summary">{task.summary}</p>}
        <p className="pre">{task.description}</p>
        <dl>
          {task.githubIssueUrl && (
            <>
              <dt>GitHub issue</dt>
              <dd>
                <a href={task.githubIssueUrl} target="_blank" rel="noopener noreferrer" data-testid="issue-link">
                  #{task.githubIssueNumber}
                </a>{' '}
                on branch <code>{task.githubBranch}</code>
              </dd>
            </>
          )}
          {task.prUrl && (
            <>
              <dt>Pull request</dt>
              <dd>
                <a href={task.prUrl} target="_blank" rel="noopener noreferrer" data-testid="pr-link">
                  #{task.prNumber} {task.prTitle}
                </a>
              </dd>
            </>
          )}
          {task.mergeCommitSha && (
            <>
              <dt>Merged</dt>
              <dd>
                <code>{task.mergeCommitSha.slice(0, 12)}</code> {task.mergedAt && <RelativeTime iso={task.mergedAt} />}
              </dd>
            </>
          )}
          {task.suggestedCriteria.length > 0 && (
            <>
              <dt>Suggested criteria</dt>
              <dd>
                <ul>
                  {task.suggestedCriteria.map((c) => (
                    <li key={c}>{c}</li>
                  ))}
                </ul>
              </dd>
            </>
          )}
          {task.likelyFiles.length > 0 && (
            <>
              <dt>Likely files</dt>
              <dd>
                {task.likelyFiles.map((f) => (
                  <code key={f}>{f} </code>
                ))}
              </dd>
            </>
          )}
          {task.errorMessage && (
            <>
              <dt>Error</dt>
              <dd className="error">{task.errorMessage}</dd>
            </>
          )}
        </dl>
        <div className="actions">
          {mine && task.status === 'failed' && (
            <button onClick={() => setConfirming('retry')} disabled={waiting('retry')}>
              Retry
            </button>
          )}
          {mine && CANCELLABLE_STATUSES.includes(task.status) && (
            <button onClick={() => setConfirming('cancel')} disabled={waiting('cancel')}>
              Cancel task
            </button>
          )}
          <button onClick={() => setCloning(true)}>Clone</button>
          {!mine && <FollowButton taskId={task.id} />}
        </div>
        {actionError && (
          <p className="error" role="alert">
            {actionError}
          </p>
        )}
        {confirming === 'cancel' && (
          <ConfirmDialog
            title="Cancel this task?"
            message="It will not be dispatched. This cannot be undone."
            confirmLabel="Cancel task"
            destructive
            onConfirm={() => void act('cancel')}
            onCancel={() => setConfirming(null)}
          />
        )}
        {confirming === 'retry' && (
          <ConfirmDialog
            title="Retry this task?"
            message="It starts again from analysis; the issue, pull request and results of this attempt are cleared."
            confirmLabel="Retry"
            onConfirm={() => void act('retry')}
            onCancel={() => setConfirming(null)}
          />
        )}
      </section>
      {cloning && (
        <CreateTaskForm
          initial={task}
          onCancel={() => setCloning(false)}
          onCreated={(id) => {
            setCloning(false);
            navigate(`/tasks/${id}`);
          }}
        />
      )}
      <section className="card">
        <h2>Timeline</h2>
        <TaskTimeline events={events} hasOlder={view.olderCursor !== null} loadOlder={loadOlder} />
      </section>
    </main>
  );
}
