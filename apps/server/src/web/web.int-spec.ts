import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestApp, type TestApp } from '../testing/test-app';

let t: TestApp;
let dist: string;

beforeAll(async () => {
  dist = fs.mkdtempSync(path.join(os.tmpdir(), 'taskflow-web-'));
  fs.mkdirSync(path.join(dist, 'assets'));
  fs.writeFileSync(path.join(dist, 'index.html'), '<!doctype html><div id="root"></div>');
  fs.writeFileSync(path.join(dist, 'assets', 'app.js'), 'console.log(1)');
  t = await startTestApp({ WEB_DIST_DIR: dist, FEATURE_WEBSOCKET_DASHBOARD: 'false' });
});
afterAll(async () => {
  await t.close();
  fs.rmSync(dist, { recursive: true, force: true });
});

describe('web app serving', () => {
  it('serves the app shell for page paths and the built assets', async () => {
    for (const url of ['/', '/tasks/3f2b8c1e-8d9a-4c6b-9f1e-2a3b4c5d6e7f', '/stats']) {
      const res = await t.app.inject({ method: 'GET', url });
      expect({ url, status: res.statusCode, html: res.body.includes('id="root"') }).toEqual({ url, status: 200, html: true });
    }
    const js = await t.app.inject({ method: 'GET', url: '/assets/app.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toMatch(/javascript/);
  });

  it('keeps unknown API routes as JSON 404s', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/nope' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ error: 'NOT_FOUND' });
  });

  it('publishes the client configuration (flags), and no org’s repositories to anyone unsigned', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/config' });
    expect(res.json()).toEqual({ features: { websocket: true, dashboard: false, taskDetail: true } });
  });
});

describe('GET /api/stats', () => {
  it('answers the viewer’s statistics, and 401 without a session', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/api/stats' })).statusCode).toBe(401);
    await t.f.newTask(t.f.users.alice);
    const res = await t.app.inject({
      method: 'GET',
      url: '/api/stats',
      headers: { authorization: `Bearer ${t.app.signSession({ ...t.f.users.bob })}` },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().overall).toMatchObject({ total: 1, byStatus: { received: 1 } });
  });
});
