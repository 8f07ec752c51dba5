import { FIXTURE_PASSWORD } from '@taskflow/store/testing';
import { startTestApp, type TestApp } from '../testing/test-app';

// PostgreSQL cannot store a NUL character in text: input carrying one is the client's error, in any field.
let t: TestApp;
let authorization: string;
beforeAll(async () => {
  t = await startTestApp();
  const res = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'alice', password: FIXTURE_PASSWORD } });
  authorization = `Bearer ${res.json<{ token: string }>().token}`;
});
afterAll(() => t?.close());

describe('text with a NUL character', () => {
  it.each([
    ['a login name', { method: 'POST' as const, url: '/api/auth/login', payload: { username: '\u0000', password: 'a' } }],
    ['a search', { method: 'GET' as const, url: '/api/tasks?q=%00' }],
    ['a task description', { method: 'POST' as const, url: '/api/tasks', payload: { title: 'Fix it', description: 'a\u0000b' } }],
  ])('in %s is answered 400 VALIDATION_FAILED, logged as no error', async (_, request) => {
    const errorsBefore = t.logs().filter((l) => l.level >= 50).length;
    const res = await t.app.inject({ ...request, headers: { authorization } });
    expect([res.statusCode, res.json<{ error: string }>().error]).toEqual([400, 'VALIDATION_FAILED']);
    expect(t.logs().filter((l) => l.level >= 50).length).toBe(errorsBefore);
  });
});
