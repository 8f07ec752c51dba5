import { useId, useRef, useState, type FormEvent } from 'react';
import { LIMITS, PREFERRED_AGENTS, PRIORITIES, TASK_TYPE_HINTS, type CreateTaskBody, type PublicTask } from '@taskflow/events';
import { api, ApiError } from '../api/client';
import { useOrgRepositories } from '../config/app-config';
import { useWebSocket } from '../realtime/socket';
import { useFocusTrap } from './use-focus-trap';

const lines = (text: string) =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);

/** Create (or clone) a task. The API's validation messages are shown next to the form. */
export function CreateTaskForm({
  initial,
  onCreated,
  onCancel,
}: {
  initial?: Partial<PublicTask>;
  onCreated: (id: string) => void;
  onCancel: () => void;
}) {
  const repos = useOrgRepositories();
  const { status } = useWebSocket();
  const [title, setTitle] = useState(initial?.title ?? '');
  const [description, setDescription] = useState(initial?.description ?? '');
  // A copy keeps its repository only if it is still one of the org's.
  const [repo, setRepo] = useState(repos.find((r) => r.fullName === initial?.repo)?.fullName ?? repos[0]?.fullName ?? '');
  const [taskTypeHint, setHint] = useState(initial?.taskTypeHint ?? 'auto');
  const [files, setFiles] = useState((initial?.filesHint ?? []).join('\n'));
  const [criteria, setCriteria] = useState((initial?.acceptanceCriteria ?? []).join('\n'));
  const [priority, setPriority] = useState(initial?.priority ?? 'normal');
  const [preferredAgent, setAgent] = useState(initial?.preferredAgent ?? 'auto');
  const [isPrivate, setPrivate] = useState(initial?.isPrivate ?? false);
  const [error, setError] = useState<string | null>(null);
  const [invalid, setInvalid] = useState<ReadonlySet<string>>(new Set());
  const [busy, setBusy] = useState(false);
  const errorId = useId();
  const privacyId = useId();
  const chosen = repos.find((r) => r.fullName === repo);
  // The server refuses it too (REPO_NOT_PRIVATE); said here before anything is sent.
  const privateToPublic = isPrivate && chosen !== undefined && !chosen.isPrivate;
  const formRef = useRef<HTMLFormElement>(null);
  // Opening the form puts the cursor in it; Escape closes it and focus goes back where it was.
  useFocusTrap(formRef, { trap: false, onEscape: onCancel });
  // The fields the API named in its validation error point screen readers at the message.
  const described = (field: string) => (invalid.has(field) ? { 'aria-invalid': true, 'aria-describedby': errorId } : {});

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setInvalid(new Set());
    const body: CreateTaskBody = {
      title,
      description,
      repo: repo || undefined,
      taskTypeHint,
      filesHint: lines(files),
      acceptanceCriteria: lines(criteria),
      priority,
      preferredAgent,
      isPrivate,
    };
    try {
      const res = await api<{ task: PublicTask }>('POST', '/api/tasks', body);
      onCreated(res.task.id);
    } catch (err) {
      const apiError = err as ApiError;
      setInvalid(new Set((apiError.details ?? []).map((d) => d.path.replace(/^\//, '').split('/')[0]!)));
      setError(
        apiError.details?.length
          ? `${apiError.message} (${apiError.details.map((d) => `${d.path}: ${d.message}`).join('; ')})`
          : apiError.message,
      );
    } finally {
      setBusy(false);
    }
  }

  return (
    // submit() catches its own failures and shows them; React ignores a handler's promise.
    <form ref={formRef} className="card form" onSubmit={(e) => void submit(e)} aria-label="New task">
      <h2>{initial ? 'New task (copy)' : 'New task'}</h2>
      <label>
        Title
        <input
          {...described('title')}
          value={title}
          onChange={(e) => setTitle(e.target.value)}
          maxLength={LIMITS.title}
          required
          minLength={3}
        />
      </label>
      <label>
        Description
        <textarea
          {...described('description')}
          value={description}
          onChange={(e) => setDescription(e.target.value)}
          maxLength={LIMITS.description}
          rows={5}
          required
        />
      </label>
      <div className="row">
        <label>
          Repository
          <select {...described('repo')} value={repo} onChange={(e) => setRepo(e.target.value)}>
            {repos.map((r) => (
              <option key={r.fullName} value={r.fullName}>
                {r.fullName}
                {r.isPrivate ? ' (private)' : ''}
              </option>
            ))}
          </select>
        </label>
        <label>
          Type
          <select value={taskTypeHint} onChange={(e) => setHint(e.target.value as typeof taskTypeHint)}>
            {TASK_TYPE_HINTS.map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        </label>
        <label>
          Priority
          <select value={priority} onChange={(e) => setPriority(e.target.value as typeof priority)}>
            {PRIORITIES.map((p) => (
              <option key={p}>{p}</option>
            ))}
          </select>
        </label>
        <label>
          Agent
          <select value={preferredAgent} onChange={(e) => setAgent(e.target.value as typeof preferredAgent)}>
            {PREFERRED_AGENTS.map((a) => (
              <option key={a}>{a}</option>
            ))}
          </select>
        </label>
      </div>
      <label>
        Files to look at (one per line)
        <textarea {...described('filesHint')} value={files} onChange={(e) => setFiles(e.target.value)} rows={2} />
      </label>
      <label>
        Acceptance criteria (one per line)
        <textarea {...described('acceptanceCriteria')} value={criteria} onChange={(e) => setCriteria(e.target.value)} rows={2} />
      </label>
      <label className="check">
        <input
          type="checkbox"
          checked={isPrivate}
          onChange={(e) => setPrivate(e.target.checked)}
          {...(isPrivate ? { 'aria-describedby': privacyId } : {})}
        />{' '}
        Private (only you can see it here)
      </label>
      {isPrivate && (
        <p className={privateToPublic ? 'error' : 'muted'} id={privacyId} role={privateToPublic ? 'alert' : undefined}>
          {privateToPublic
            ? `${repo} is not marked private: a private task goes only to a private repository of your organisation. Choose one, or untick Private.`
            : `Its title, description and criteria go in full into a GitHub issue in ${repo || 'the repository'}, for everyone who can read that repository.`}
        </p>
      )}
      {error && (
        <p className="error" role="alert" id={errorId}>
          {error}
        </p>
      )}
      <div className="actions">
        <button type="submit" className="primary" disabled={busy || status === 'offline' || privateToPublic}>
          {busy ? 'Creating…' : 'Create task'}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
