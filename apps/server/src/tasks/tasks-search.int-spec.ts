import type { FastifyInstance } from 'fastify';
import { startTestApp, type TestApp } from '../testing/test-app';

let t: TestApp;
let app: FastifyInstance;
let token: string;

beforeAll(async () => {
  t = await startTestApp();
  app = t.app;
  await app.ready();
  const a = t.f.users.alice;
  token = app.signSession({ id: a.id, orgId: a.orgId, username: a.username, name: a.name });
  for (let i = 0; i < 5; i++) await t.f.newTask(a, { title: `Invoice export ${i}`, description: 'CSV for accounting', repo: 'acme/web' });
  for (let i = 0; i < 3; i++) await t.f.newTask(a, { title: `Login page ${i}`, description: 'Session cookie handling' });
  await t.f.newTask(t.f.users.bob, { title: 'Invoice layout', description: 'PDF invoices', priority: 'urgent' });
});
afterAll(() => t.close());

const get = (query: string) => app.inject({ method: 'GET', url: `/api/tasks?${query}`, headers: { authorization: `Bearer ${token}` } });

describe('GET /api/tasks search and filters', () => {
  it('searches text and repository together, pages with the cursor, and counts the filtered view', async () => {
    const first = await get('q=invoice&repo=acme/web&limit=2');
    expect(first.statusCode).toBe(200);
    expect(first.json().counts).toEqual({ activeCount: 5, completedCount: 0, failedCount: 0, total: 5 });
    const titles: string[] = first.json().tasks.map((x: { title: string }) => x.title);
    let cursor = first.json().nextCursor as string | null;
    while (cursor) {
      const next = await get(`q=invoice&repo=acme/web&limit=2&cursor=${encodeURIComponent(cursor)}`);
      titles.push(...next.json().tasks.map((x: { title: string }) => x.title));
      cursor = next.json().nextCursor;
    }
    expect(titles.sort()).toEqual([0, 1, 2, 3, 4].map((i) => `Invoice export ${i}`));
  });

  it('takes several statuses, a priority and a creator', async () => {
    const res = await get(`status=received&status=failed&priority=urgent&creator=${t.f.users.bob.id}`);
    expect(res.statusCode).toBe(200);
    expect(res.json().tasks.map((x: { title: string }) => x.title)).toEqual(['Invoice layout']);
    expect((await get('status=received')).json().tasks).toHaveLength(9);
  });

  it.each([
    ['status=nope', 'VALIDATION_FAILED', /status/],
    ['priority=high', 'VALIDATION_FAILED', /priority/],
    ['agent=someone', 'VALIDATION_FAILED', /agent/],
    ['repo=not-a-repo', 'VALIDATION_FAILED', /repo/],
    ['creator=alice', 'VALIDATION_FAILED', /creator/],
    [`q=${'x'.repeat(201)}`, 'VALIDATION_FAILED', /q/],
    ['q=%20%20', 'VALIDATION_FAILED', /q/],
    ['createdFrom=yesterday', 'VALIDATION_FAILED', /createdFrom/],
    ['createdFrom=2026-02-30', 'INVALID_FILTER', /createdFrom "2026-02-30" is not a real date/],
    // PostgreSQL has no year 0, and reads no year past 9999 as toISOString() writes it: these answered 500.
    ['createdFrom=0000-01-01', 'VALIDATION_FAILED', /createdFrom/],
    ['updatedTo=0000-12-31T23:00Z', 'VALIDATION_FAILED', /updatedTo/],
    ['createdFrom=0001-01-01T00:00%2B01:00', 'INVALID_FILTER', /createdFrom "0001-01-01T00:00\+01:00" is not a real date/],
    ['createdTo=9999-12-31', 'INVALID_FILTER', /createdTo "9999-12-31" is not a real date/],
    ['updatedFrom=2026-05-02&updatedTo=2026-05-01', 'INVALID_FILTER', /updatedFrom must not be after updatedTo/],
    ['colour=red', 'VALIDATION_FAILED', /additional/],
  ])('answers %s with a 400 %s naming the problem', async (query, code, message) => {
    const res = await get(query);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: code });
    expect(`${res.json().message} ${JSON.stringify(res.json().details ?? [])}`).toMatch(message);
  });
});
