import { CLIENT_MESSAGES, MAX_RESYNC_TASKS } from './client-messages';
import { jobId } from './queues';
import { TASK_EVENTS_CHANNEL } from './pg-channels';
import { SOCKET_IO_REDIS_KEY } from './redis-keys';
import { rooms } from './rooms';
import { SERVER_EVENTS } from './server-events';
import { validate } from './validation';

const id = '3f2b8c1e-8d9a-4c6b-9f1e-2a3b4c5d6e7f';

describe('event registry', () => {
  it('names every server → client event of the contract', () => {
    expect(Object.keys(SERVER_EVENTS).sort()).toEqual(
      [
        'task:created',
        'task:analyzing',
        'task:clarification_needed',
        'task:clarified',
        'task:dispatched',
        'task:coding',
        'task:pr_opened',
        'task:pr_merged',
        'task:pr_closed',
        'task:failed',
        'task:event_added',
        'task:state',
        'dashboard:state',
        'dashboard:task_list_updated',
        'dashboard:task_count_changed',
        'dashboard:batch',
        'error',
        'task:cancelled',
        'task:retried',
        'presence:updated',
        'sync:required',
        'connection:reconnect',
        'task:llm_response',
        'task:pr_updated',
        'task:review_submitted',
        'task:checks_completed',
        'task:comment_added',
        'notification:created',
        'notification:read',
        'session:ended',
        'live:off',
      ].sort(),
    );
  });

  it('names every client → server message', () => {
    expect(Object.keys(CLIENT_MESSAGES).sort()).toEqual(
      ['dashboard:join', 'dashboard:leave', 'resync_requested', 'task:join', 'task:leave', 'task:shown', 'session:refresh'].sort(),
    );
  });

  it('puts taskId and seq on every task-scoped payload', () => {
    for (const [name, schema] of Object.entries(SERVER_EVENTS)) {
      if (!name.startsWith('task:')) continue;
      const props = (schema as { properties: Record<string, unknown> }).properties;
      expect({ name, taskId: 'taskId' in props, seq: 'seq' in props }).toEqual({ name, taskId: true, seq: true });
    }
  });
});

describe('client message validation', () => {
  it('accepts well-formed messages', () => {
    expect(validate(CLIENT_MESSAGES['task:join'], { taskId: id }).ok).toBe(true);
    expect(validate(CLIENT_MESSAGES['dashboard:join'], {}).ok).toBe(true);
    expect(validate(CLIENT_MESSAGES.resync_requested, { taskIds: [id], since: { [id]: 4 } }).ok).toBe(true);
  });

  it.each([
    ['task:join', {}],
    ['task:join', { taskId: 'not-a-uuid' }],
    ['task:join', { taskId: id, extra: 1 }],
    ['task:join', 'string'],
    ['dashboard:join', { admin: true }],
    ['resync_requested', { taskIds: [] }],
    ['resync_requested', { taskIds: [id, id] }],
    ['resync_requested', { taskIds: Array.from({ length: MAX_RESYNC_TASKS + 1 }, () => id) }],
    ['resync_requested', { taskIds: [id], since: { [id]: -1 } }],
  ] as const)('rejects %s %j with a readable issue', (name, message) => {
    const result = validate(CLIENT_MESSAGES[name], message);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues[0]?.message).toEqual(expect.any(String));
  });
});

describe('names', () => {
  it('builds room names', () => {
    expect([rooms.task('t1'), rooms.org('o1'), rooms.user('u1'), rooms.userDashboard('u1')]).toEqual([
      'task:t1',
      'org:o1',
      'user:u1',
      'user-dashboard:u1',
    ]);
  });

  it('keeps the names deployed processes share: the adapter key in Redis and the NOTIFY channel in PostgreSQL', () => {
    expect([SOCKET_IO_REDIS_KEY, TASK_EVENTS_CHANNEL]).toEqual(['taskflow-io', 'task_events']);
  });

  it('builds BullMQ job ids without ":"', () => {
    expect(jobId('analyze', id, 3)).toBe(`analyze-${id}-3`);
    expect(jobId('dispatch', id, 9)).not.toContain(':');
  });
});
