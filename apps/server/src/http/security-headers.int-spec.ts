import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '@taskflow/testing';
import { startTestApp, type TestApp } from '../testing/test-app';

/**
 * Security headers on every kind of response, with a Content-Security-Policy
 * that the real built web app (apps/web/dist, built before the test suites)
 * satisfies: no inline script, nothing loaded from elsewhere.
 */
const DIST = path.join(REPO_ROOT, 'apps/web/dist');
let t: TestApp;

beforeAll(async () => {
  if (!fs.existsSync(path.join(DIST, 'index.html')))
    throw new Error(`the web app is not built (${DIST}); npm test builds it, or run npm run build -w @taskflow/web`);
  t = await startTestApp({ WEB_DIST_DIR: DIST });
});
afterAll(() => t.close());

function csp(header: string | string[] | number | undefined): Map<string, string[]> {
  return new Map(
    String(header)
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((parts) => parts[0])
      .map(([name, ...values]) => [name!, values]),
  );
}

describe('security headers', () => {
  const asset = () => fs.readdirSync(path.join(DIST, 'assets')).find((f) => f.endsWith('.js'))!;

  it.each([
    ['the app shell', 'GET', '/'],
    ['a page path', 'GET', '/stats'],
    ['a built asset', 'GET', () => `/assets/${asset()}`],
    ['an API answer', 'GET', '/api/config'],
    ['an API 401', 'GET', '/api/tasks'],
    ['an API 404', 'GET', '/api/nope'],
    ['a validation error', 'POST', '/api/auth/login'],
  ] as const)('are on %s', async (_what, method, url) => {
    const res = await t.app.inject({
      method,
      url: typeof url === 'function' ? url() : url,
      payload: method === 'POST' ? { nope: 1 } : undefined,
      headers: { host: 'tf.example:8080' },
    });
    const policy = csp(res.headers['content-security-policy']);
    expect(policy.get('default-src')).toEqual(["'self'"]);
    expect(policy.get('script-src')).toEqual(["'self'"]);
    expect(policy.get('frame-ancestors')).toEqual(["'none'"]);
    expect(policy.get('object-src')).toEqual(["'none'"]);
    expect(policy.get('connect-src')).toEqual(["'self'", 'ws://tf.example:8080', 'wss://tf.example:8080']);
    expect(String(res.headers['content-security-policy'])).not.toContain('unsafe-');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['x-frame-options']).toBe('DENY');
  });

  it('keeps a forged Host header out of the policy', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/config', headers: { host: "evil.test; script-src 'unsafe-inline'" } });
    expect(csp(res.headers['content-security-policy']).get('connect-src')).toEqual(["'self'", "'self'"]);
    expect(String(res.headers['content-security-policy'])).not.toContain('unsafe-inline');
  });

  it('are satisfied by the built app: its page runs no inline script and loads only its own files', async () => {
    const html = (await t.app.inject({ method: 'GET', url: '/' })).body;
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attrs, body] of scripts) {
      expect(body!.trim()).toBe('');
      expect(attrs).toMatch(/\bsrc="\/assets\/[^"]+\.js"/);
    }
    expect(html).not.toMatch(/\son[a-z]+\s*=/i); // no inline event handlers
    expect(html).not.toMatch(/<style\b|\sstyle\s*=/i);
    const external = [...html.matchAll(/\b(?:src|href)="([^"]+)"/g)].map((m) => m[1]!).filter((u) => !u.startsWith('/'));
    expect(external).toEqual([]);
    for (const file of fs.readdirSync(path.join(DIST, 'assets')).filter((f) => f.endsWith('.js'))) {
      // 'unsafe-eval' is not granted either.
      expect(fs.readFileSync(path.join(DIST, 'assets', file), 'utf8')).not.toMatch(/\bnew Function\(|[^\w.$]eval\(/);
    }
  });
});

describe('HSTS (HSTS_MAX_AGE_SECONDS)', () => {
  const HTTPS = { 'x-forwarded-proto': 'https' };
  const hsts = (app: TestApp['app'], headers: Record<string, string>, remoteAddress?: string) =>
    app.inject({ method: 'GET', url: '/api/config', headers, remoteAddress }).then((res) => res.headers['strict-transport-security']);

  it('is off by default, even over HTTPS', async () => {
    expect(await hsts(t.app, HTTPS)).toBeUndefined();
  });

  it('when on, is sent on HTTPS requests only: a trusted proxy saying https, never plain http or an untrusted claim', async () => {
    const on = await startTestApp({ HSTS_MAX_AGE_SECONDS: '31536000' });
    try {
      // inject's peer is 127.0.0.1, inside the default TRUSTED_PROXIES (loopback).
      expect(await hsts(on.app, HTTPS)).toBe('max-age=31536000');
      expect(await hsts(on.app, {})).toBeUndefined();
      expect(await hsts(on.app, { 'x-forwarded-proto': 'http' })).toBeUndefined();
      expect(await hsts(on.app, HTTPS, '203.0.113.7')).toBeUndefined();
    } finally {
      await on.close();
    }
  });
});
