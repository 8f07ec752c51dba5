import { createHmac, timingSafeEqual } from 'node:crypto';
import { isUuid } from '@taskflow/events';
import { createBranchEvent } from './payloads';
import { sendWebhook } from './send';
import { startWebhookReceiver, type WebhookReceiver } from './testing/webhook-receiver';

const SECRET = 'test-webhook-secret';

/** Verifies the way a receiver must: HMAC over the raw bytes, constant-time compare. */
function verifies(secret: string, rawBody: Buffer, header: string | string[] | undefined): boolean {
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`);
  const given = Buffer.from(String(header));
  return given.length === expected.length && timingSafeEqual(given, expected);
}

describe('sendWebhook', () => {
  let receiver: WebhookReceiver;

  beforeEach(async () => {
    receiver = await startWebhookReceiver(202);
  });
  afterEach(() => receiver.close());

  it("posts the payload with GitHub's headers and a signature over the exact bytes", async () => {
    // Non-ASCII text makes a string-vs-bytes signing mistake visible.
    const payload = { ...createBranchEvent({ repo: 'acme/payments', branch: 'taskflow/3f2b8c1e-8d9a' }), note: 'prüfen ✓' };
    const result = await sendWebhook(`${receiver.url}/api/webhooks/github`, 'create', payload, { secret: SECRET });

    expect(result.status).toBe(202);
    expect(JSON.parse(result.body)).toEqual({ received: true });
    expect(isUuid(result.deliveryId)).toBe(true);
    expect(receiver.requests).toHaveLength(1);
    const [req] = receiver.requests;
    expect(req).toMatchObject({ method: 'POST', path: '/api/webhooks/github' });
    expect(req?.headers).toMatchObject({
      'content-type': 'application/json',
      'user-agent': 'GitHub-Hookshot/taskflow-sim',
      'x-github-event': 'create',
      'x-github-delivery': result.deliveryId,
      'x-github-hook-id': expect.stringMatching(/^\d+$/),
    });
    expect(verifies(SECRET, req!.rawBody, req?.headers['x-hub-signature-256'])).toBe(true);
    expect(verifies('wrong-secret', req!.rawBody, req?.headers['x-hub-signature-256'])).toBe(false);
    expect(JSON.parse(req!.rawBody.toString('utf8'))).toEqual(payload);
  });

  it('uses the given delivery id and reports non-2xx answers', async () => {
    await receiver.close();
    receiver = await startWebhookReceiver(401);
    const result = await sendWebhook(receiver.url, 'pull_request', { action: 'opened' }, { secret: SECRET, deliveryId: 'fixed-delivery' });
    expect(result).toMatchObject({ status: 401, deliveryId: 'fixed-delivery' });
    expect(receiver.requests[0]?.headers['x-github-delivery']).toBe('fixed-delivery');
  });
});
