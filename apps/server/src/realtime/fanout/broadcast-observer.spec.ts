import { encode } from 'notepack.io';
import { RealtimeMetrics } from '../metrics';
import { decodeClassicBroadcast, decodeClusterBroadcast, observeBroadcast } from './broadcast-observer';
import { WebhookScreenTimer } from './webhook-screen';

/** A message as `@socket.io/redis-emitter` publishes it: msgpack of [uid, packet, opts]. */
const message = (event: string, payload: unknown) =>
  encode(['emitter', { type: 2, data: [event, payload], nsp: '/' }, { rooms: ['org:x'], flags: {}, except: [] }]);

async function lag(metrics: RealtimeMetrics): Promise<{ count: number; sum: number }> {
  const values = (await metrics.publishLag.get()).values;
  const pick = (suffix: string) => values.find((v) => v.metricName === `taskflow_publish_lag_seconds_${suffix}`)?.value ?? 0;
  return { count: pick('count'), sum: pick('sum') };
}

describe('observeBroadcast', () => {
  const now = Date.parse('2026-01-01T00:00:10.000Z');

  it('records the lag of a dashboard row from its updatedAt', async () => {
    const metrics = new RealtimeMetrics();
    observeBroadcast(message('dashboard:task_list_updated', { taskId: 't', seq: 2, updatedAt: '2026-01-01T00:00:09.750Z' }), metrics, now);
    expect(await lag(metrics)).toEqual({ count: 1, sum: 0.25 });
  });

  it('records the lag of a timeline event from its createdAt', async () => {
    const metrics = new RealtimeMetrics();
    observeBroadcast(
      message('task:event_added', { taskId: 't', seq: 2, event: { seq: 2, createdAt: '2026-01-01T00:00:09.900Z' } }),
      metrics,
      now,
    );
    expect((await lag(metrics)).count).toBe(1);
    expect((await lag(metrics)).sum).toBeCloseTo(0.1, 6);
  });

  it('records webhook → broadcast from the detail of a timeline event a GitHub delivery caused, and only from it', async () => {
    const metrics = new RealtimeMetrics();
    const detail = { deliveryId: 'd1', actorKind: 'github', webhookReceivedAt: '2026-01-01T00:00:09.400Z' };
    const added = (d: object) => ({
      taskId: 't',
      seq: 5,
      event: { seq: 5, createdAt: '2026-01-01T00:00:09.800Z', payload: { detail: d } },
    });
    observeBroadcast(message('task:event_added', added(detail)), metrics, now);
    observeBroadcast(message('task:event_added', added({ actorKind: 'user' })), metrics, now);
    observeBroadcast(message('task:event_added', added({ webhookReceivedAt: 'not a date' })), metrics, now);
    // The status event of the same change carries no detail: not counted twice.
    observeBroadcast(message('task:pr_opened', { taskId: 't', seq: 5, status: 'pr_open', ...detail }), metrics, now);
    const values = (await metrics.webhookToBroadcast.get()).values;
    const pick = (suffix: string) => values.find((v) => v.metricName === `taskflow_webhook_to_broadcast_seconds_${suffix}`)?.value;
    expect(pick('count')).toBe(1);
    expect(pick('sum')).toBeCloseTo(0.6, 6);
    expect(values.find((v) => v.metricName?.endsWith('_bucket') && v.labels.le === 0.5)?.value).toBe(0);
    expect(values.find((v) => v.metricName?.endsWith('_bucket') && v.labels.le === 1)?.value).toBe(1);
  });

  it('remembers such an event for the browsers’ task:shown reports (webhook → screen), and no other', () => {
    let clock = now;
    const metrics = new RealtimeMetrics();
    Object.assign(metrics, { webhookScreen: new WebhookScreenTimer(metrics.webhookToScreen, () => clock) });
    const added = (seq: number, detail: object) => ({
      taskId: 't',
      seq,
      event: { seq, createdAt: '2026-01-01T00:00:09.800Z', payload: { detail } },
    });
    observeBroadcast(message('task:event_added', added(5, { webhookReceivedAt: '2026-01-01T00:00:09.400Z' })), metrics, now);
    observeBroadcast(message('task:event_added', added(6, { actorKind: 'user' })), metrics, now);
    clock = now + 300;
    const socket = {};
    expect(metrics.webhookScreen.shown(socket, 't', 5)).toBe(true);
    expect(metrics.webhookScreen.shown(socket, 't', 6)).toBe(false);
  });

  it('counts other broadcasts without a lag, and ignores what is not a broadcast', async () => {
    const metrics = new RealtimeMetrics();
    observeBroadcast(message('dashboard:task_count_changed', { activeCount: 1, updatedAt: '2026-01-01T00:00:09.000Z' }), metrics, now);
    observeBroadcast(message('task:event_added', { event: { createdAt: 'not a date' } }), metrics, now);
    observeBroadcast(Buffer.from('not msgpack at all'), metrics, now);
    expect((await lag(metrics)).count).toBe(0);
    const broadcasts = (await metrics.broadcasts.get()).values.map((v) => [v.labels.event, v.value]);
    expect(broadcasts).toEqual(
      expect.arrayContaining([
        ['dashboard:task_count_changed', 1],
        ['task:event_added', 1],
      ]),
    );
    expect(broadcasts).toHaveLength(2);
  });
});

describe('the trace context a broadcast carries', () => {
  const traceparent = `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`;
  const packet = { type: 2, data: ['task:coding', { taskId: 't' }], nsp: '/' };
  const sharded = (opts: Record<string, unknown>) =>
    Buffer.from(JSON.stringify({ type: 3, data: { packet, opts }, uid: 'emitter', nsp: '/' }));

  it('is read beside the adapter options of either adapter, and absent when none was sent', () => {
    const classic = (opts: Record<string, unknown>) => encode(['emitter', packet, { rooms: ['task:t'], flags: {}, except: [], ...opts }]);
    expect(decodeClassicBroadcast(classic({ traceparent }))).toMatchObject({ rooms: ['task:t'], traceParent: traceparent });
    expect(decodeClassicBroadcast(classic({}))?.traceParent).toBeUndefined();
    expect(decodeClusterBroadcast(sharded({ rooms: ['task:t'], except: [], flags: {}, traceparent }))).toMatchObject({
      rooms: ['task:t'],
      traceParent: traceparent,
    });
    expect(decodeClusterBroadcast(sharded({ rooms: ['task:t'], except: [], flags: {} }))?.traceParent).toBeUndefined();
  });

  it('is ignored when it is not a string of a traceparent’s size', () => {
    expect(decodeClusterBroadcast(sharded({ rooms: [], traceparent: 42 }))?.traceParent).toBeUndefined();
    expect(decodeClusterBroadcast(sharded({ rooms: [], traceparent: 'x'.repeat(65) }))?.traceParent).toBeUndefined();
  });
});
