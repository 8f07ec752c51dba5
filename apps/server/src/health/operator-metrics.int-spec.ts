import { randomUUID } from 'node:crypto';
import { signPayload } from '@taskflow/github-sim';
import { eventually } from '@taskflow/testing';
import { startTestApp, TEST_WEBHOOK_SECRET, type TestApp } from '../testing/test-app';

/**
 * The series the dashboard and alerts of deploy/observability read that are computed here: the outbox backlog
 * (from PostgreSQL at scrape time) and webhook deliveries answered with an error.
 */
let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
  await t.app.ready();
});
afterAll(() => t.close());

/** The value of one series in the node's exposition, or undefined when absent. */
async function sample(series: string): Promise<number | undefined> {
  const line = (await t.metricsText()).split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
}

describe('outbox backlog on /metrics', () => {
  it('counts committed events not yet published, with the age of the oldest, and drops to 0 once they are', async () => {
    // No worker runs here: nothing publishes what this commits.
    await t.f.db.updateTable('taskEvents').set({ publishedAt: new Date() }).where('publishedAt', 'is', null).execute();
    expect(await sample('taskflow_outbox_unpublished_events')).toBe(0);
    expect(await sample('taskflow_outbox_oldest_unpublished_seconds')).toBe(0);

    await t.f.newTask(t.f.users.alice);
    await t.f.newTask(t.f.users.bob);
    const backlog = await sample('taskflow_outbox_unpublished_events');
    expect(backlog).toBeGreaterThanOrEqual(2);
    // The oldest keeps ageing while it waits.
    const age = await eventually('the oldest event to age', async () => {
      const seconds = await sample('taskflow_outbox_oldest_unpublished_seconds');
      return seconds !== undefined && seconds > 0.2 ? seconds : undefined;
    });
    expect(age).toBeLessThan(60);

    await t.f.db.updateTable('taskEvents').set({ publishedAt: new Date() }).where('publishedAt', 'is', null).execute();
    expect(await sample('taskflow_outbox_unpublished_events')).toBe(0);
    expect(await sample('taskflow_outbox_oldest_unpublished_seconds')).toBe(0);
  });
});

describe('webhook failures on /metrics', () => {
  const deliver = (headers: Record<string, string>, body: string) =>
    t.app.inject({
      method: 'POST',
      url: '/api/webhooks/github',
      headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': randomUUID(), ...headers },
      payload: body,
    });
  const failed = async (status: number) => (await sample(`taskflow_webhook_deliveries_failed_total{status="${status}"}`)) ?? 0;

  it('counts deliveries answered 401 (bad signature) and 400 (malformed) by status, and not the accepted ones', async () => {
    const before = { 401: await failed(401), 400: await failed(400), 202: await failed(202) };
    const body = JSON.stringify({ zen: 'x' });
    expect((await deliver({ 'x-hub-signature-256': signPayload('another-secret-0123456789', body) }, body)).statusCode).toBe(401);
    expect((await deliver({}, body)).statusCode).toBe(401);
    const notJson = 'not json';
    expect((await deliver({ 'x-hub-signature-256': signPayload(TEST_WEBHOOK_SECRET, notJson) }, notJson)).statusCode).toBe(400);
    // A ping is answered 200 and is no failure.
    const ping = await t.app.inject({
      method: 'POST',
      url: '/api/webhooks/github',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'ping',
        'x-github-delivery': randomUUID(),
        'x-hub-signature-256': signPayload(TEST_WEBHOOK_SECRET, body),
      },
      payload: body,
    });
    expect(ping.statusCode).toBe(200);
    expect({ 401: await failed(401), 400: await failed(400), 202: await failed(202) }).toEqual({
      401: before[401] + 2,
      400: before[400] + 1,
      202: before[202],
    });
    expect(await sample('taskflow_webhook_deliveries_failed_total{status="200"}')).toBeUndefined();
  });
});
