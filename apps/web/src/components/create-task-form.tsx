import { useState, type FormEvent } from 'react';
import { LIMITS, PREFERRED_AGENTS, PRIORITIES, TASK_TYPE_HINTS, type CreateTaskBody, type PublicTask } from '@taskflow/events';
import { api, ApiError } from '../api/client';
import { useWebSocket } from '../realtime/socket';

const lines = (text: string) => text.split('\n').map((l) => l.trim()).filter(Boolean);

/** Create (or clone) a task. The API's validation messages are shown next to the form. */
export function CreateTaskForm({ initial, onCreated, onCancel }: { initial?: Partial<PublicTask>; onCreated: (id: string) => void; onCancel: () => void }) {
  const { repos, status } = useWebSocket();
  const [title, setTitle] = useState(initial?.title ?? '');
  const [description, setDescription] = useState(initial?.description ?? '');
  const [repo, setRepo] = useState(initial?.repo ?? repos[0] ?? '');
  const [taskTypeHint, setHint] = useState(initial?.taskTypeHint ?? 'auto');
  const [files, setFiles] = useState((initial?.filesHint ?? []).join('\n'));
  const [criteria, setCriteria] = useState((initial?.acceptanceCriteria ?? []).join('\n'));
  const [priority, setPriority] = useState(initial?.priority ?? 'normal');
  const [preferredAgent, setAgent] = useState(initial?.preferredAgent ?? 'auto');
  const [isPrivate, setPrivate] = useState(initial?.isPrivate ?? false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
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
      setError(apiError.details?.length ? `${apiError.message} (${apiError.details.map((d) => `${d.path}: ${d.message}`).join('; ')})` : apiError.message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="card form" onSubmit={submit} aria-label="New task">
      <h2>{initial ? 'New task (copy)' : 'New task'}</h2>
      <label>
        Title
        <input value={title} onChange={(e) => setTitle(e.target.value)} maxLength={LIMITS.title} required minLength={3} />
      </label>
      <label>
        Description
        <textarea value={description} onChange={(e) => setDescription(e.target.value)} maxLength={LIMITS.description} rows={5} required />
      </label>
      <div className="row">
        <label>
          Repository
          <select value={repo} onChange={(e) => setRepo(e.target.value)}>
            {repos.map((r) => (
              <option key={r}>{r}</option>
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
        <textarea value={files} onChange={(e) => setFiles(e.target.value)} rows={2} />
      </label>
      <label>
        Acceptance criteria (one per line)
        <textarea value={criteria} onChange={(e) => setCriteria(e.target.value)} rows={2} />
      </label>
      <label className="check">
        <input type="checkbox" checked={isPrivate} onChange={(e) => setPrivate(e.target.checked)} /> Private (only you can see it)
      </label>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <div className="actions">
        <button type="submit" className="primary" disabled={busy || status === 'offline'}>
          {busy ? 'Creating…' : 'Create task'}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
