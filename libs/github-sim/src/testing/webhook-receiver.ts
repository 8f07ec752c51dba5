import { sendJson, startFake, type RecordedRequest } from '@taskflow/testing';

type ReceivedRequest = RecordedRequest;

export interface WebhookReceiver {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  requests: ReceivedRequest[];
  close(): Promise<void>;
}

/** A throwaway HTTP server on a free loopback port that records every request and answers `status` with `body`. */
export function startWebhookReceiver(status = 202, body: unknown = { received: true }): Promise<WebhookReceiver> {
  return startFake((_req, res) => sendJson(res, status, body));
}
