import { MAX_RESYNC_TASKS } from '@taskflow/events';
import { messageCost } from './rate-limit';

describe('messageCost', () => {
  const ids = (n: number) => Array.from({ length: n }, (_, i) => `id-${i}`);

  it('charges a resync one point per started ten tasks it names', () => {
    expect([1, 10, 11, 100].map((n) => messageCost('resync_requested', { taskIds: ids(n) }))).toEqual([1, 1, 2, 10]);
    expect(messageCost('resync_requested', { taskIds: ids(5000) })).toBe(MAX_RESYNC_TASKS / 10);
  });

  it('charges a resync that names no tasks for the task rooms its socket is in (every one it covers)', () => {
    expect(messageCost('resync_requested', undefined, 0)).toBe(1);
    expect(messageCost('resync_requested', {}, 35)).toBe(4);
    expect(messageCost('resync_requested', { taskIds: 'nope' }, 5000)).toBe(MAX_RESYNC_TASKS / 10);
  });

  it('charges any other message one point', () => {
    expect(messageCost('task:join', { taskIds: ids(100) }, 100)).toBe(1);
  });
});
