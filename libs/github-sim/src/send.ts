import { randomUUID } from 'node:crypto';
import { signPayload } from './sign';

export type WebhookEventName = 'create' | 'pull_request' | (string & {});

export interface SendWebhookOptions {
  secret: string;
  /** Fixed delivery id, e.g. to test redelivery handling; a random UUID otherwise. */
  deliveryId?: string;
  /** Gives up on an unresponsive receiver rather than hanging a test or the CLI. */
  timeoutMs?: number;
}

export interface SendWebhookResult {
  status: number;
  body: string;
  deliveryId: string;
}

/** Any stable id will do; receivers only log it. */
const SIM_HOOK_ID = '424242';
const DEFAULT_TIMEOUT_MS = 10_000;

/** POSTs `payload` the way GitHub delivers a webhook, signed with `secret`. */
export async function sendWebhook(
  url: string,
  event: WebhookEventName,
  payload: object,
  opts: SendWebhookOptions,
): Promise<SendWebhookResult> {
  // Serialise once and send these very bytes: the signature must cover exactly what goes on the wire.
  const rawBody = Buffer.from(JSON.stringify(payload), 'utf8');
  const deliveryId = opts.deliveryId ?? randomUUID();
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      'User-Agent': 'GitHub-Hookshot/taskflow-sim',
      'X-GitHub-Event': event,
      'X-GitHub-Delivery': deliveryId,
      'X-GitHub-Hook-ID': SIM_HOOK_ID,
      'X-Hub-Signature-256': signPayload(opts.secret, rawBody),
    },
    body: rawBody,
    signal: AbortSignal.timeout(opts.timeoutMs ?? DEFAULT_TIMEOUT_MS),
  });
  return { status: res.status, body: await res.text(), deliveryId };
}
