import { createHash } from 'node:crypto';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { WebhookResponse, type WebhookJobData, type WebhookScope } from '@taskflow/events';
import { AppError, SpanKind, withDeadline, withSpan } from '@taskflow/platform';
import { deliveryOutcome, findRepoOwner, findTaskForDelivery, type Db } from '@taskflow/store';
import type { PipelineQueue } from '@taskflow/queue';
import type { Counter } from 'prom-client';
import { ERROR_RESPONSES } from '../http/route-schema';
import { normalizeDelivery } from './github-payload';
import { verifyGithubSignature } from './github-signature';

/** How long the duplicate check may wait for PostgreSQL before the delivery is queued anyway. */
const LEDGER_TIMEOUT_MS = 2000;

/**
 * Whether the delivery was applied already. Unknown while PostgreSQL is unreachable: the
 * delivery is then queued anyway, since the worker refuses to apply a delivery twice.
 */
async function appliedAlready(db: Db, deliveryId: string, log: FastifyBaseLogger): Promise<boolean> {
  try {
    return (await withDeadline(deliveryOutcome(db, deliveryId), LEDGER_TIMEOUT_MS)) !== undefined;
  } catch (err) {
    log.warn({ err }, 'delivery ledger unavailable; queueing the delivery (the worker dedupes)');
    return false;
  }
}

/**
 * How many tasks the delivery matches now (0 or 1), for the sender's sake (`npm run simulate` says when a
 * mistyped id matched nothing); undefined while PostgreSQL does not answer. The worker looks again when it applies it.
 */
async function tasksMatched(db: Db, job: WebhookJobData, log: FastifyBaseLogger): Promise<number | undefined> {
  try {
    return (await withDeadline(findTaskForDelivery(db, job), LEDGER_TIMEOUT_MS)) ? 1 : 0;
  } catch (err) {
    log.debug({ err }, 'could not look up the task of a delivery');
    return undefined;
  }
}

/**
 * Which repositories this delivery may touch: the one it names when an org owns it (in the org's spelling,
 * as its tasks store it), none otherwise. While PostgreSQL does not answer, the named one: the worker's task
 * lookup applies a delivery only to tasks of the org that owns the repository.
 */
async function deliveryScope(db: Db, payload: unknown, webHost: string, log: FastifyBaseLogger): Promise<WebhookScope> {
  const named = (payload as { repository?: { full_name?: unknown } } | null)?.repository?.full_name;
  if (typeof named !== 'string' || named.length > 201) return { repos: [], webHost };
  try {
    const owner = await withDeadline(findRepoOwner(db, named), LEDGER_TIMEOUT_MS);
    return { repos: owner ? [owner.fullName] : [], webHost };
  } catch (err) {
    log.warn({ err }, 'could not look up the owner of a repository; queueing the delivery (the worker checks it)');
    return { repos: [named], webHost };
  }
}

const header = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

/**
 * GitHub webhooks. GitHub waits 10 s and does not retry, so we only verify,
 * dedupe and enqueue here; a worker applies the transition.
 */
export async function webhooksRoutes(
  plain: FastifyInstance,
  deps: {
    db: Db;
    queue: PipelineQueue;
    secret: string;
    webHost: string;
    ignored: Counter<'reason'>;
    failed: Counter<'status'>;
    replayWindowMs: number;
  },
): Promise<void> {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  // In this plugin's scope only: every error answered to a delivery, whichever check or handler gave it.
  app.addHook('onResponse', async (_request, reply) => {
    if (reply.statusCode >= 400) deps.failed.inc({ status: String(reply.statusCode) });
  });
  // The signature covers the exact bytes: keep the body raw in this plugin's scope.
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: 1024 * 1024 }, (_req, body, done) => done(null, body));

  const doc = {
    tags: ['webhooks'],
    description:
      "GitHub's webhook (signed with X-Hub-Signature-256, named by X-GitHub-Event and X-GitHub-Delivery): verified, deduplicated and queued (202, " +
      'or 200 `duplicate` for a delivery id seen before or the same signed body under another id within WEBHOOK_REPLAY_WINDOW_HOURS; ' +
      "`matched`: how many tasks it matches now, 0 or 1); a delivery of a repository no organisation owns is acknowledged and `ignored`, and one of an owned repository moves only that organisation's tasks.",
    response: { 200: WebhookResponse, 202: WebhookResponse, ...ERROR_RESPONSES },
  };
  // A trace starts here when tracing is on: the job queued below, its transaction, the publish and the emit continue it.
  app.post('/api/webhooks/github', { schema: doc }, (request, reply) =>
    withSpan(
      'webhook.receive',
      { kind: SpanKind.SERVER, attributes: { 'github.event': header(request.headers['x-github-event']) ?? '' } },
      async (span) => {
        // Travels with the job into the timeline event, for the webhook → screen histogram (broadcast-observer.ts).
        const receivedAt = new Date().toISOString();
        const raw = request.body as Buffer | undefined;
        const signature = header(request.headers['x-hub-signature-256']);
        if (!signature) throw new AppError('SIGNATURE_MISSING', 401, 'Missing X-Hub-Signature-256');
        if (!raw || !verifyGithubSignature(deps.secret, raw, signature))
          throw new AppError('SIGNATURE_INVALID', 401, 'Bad webhook signature');

        const event = header(request.headers['x-github-event']);
        const deliveryId = header(request.headers['x-github-delivery']);
        if (!event || !deliveryId || deliveryId.length > 100) throw AppError.badRequest('Missing X-GitHub-Event or X-GitHub-Delivery');
        if (event === 'ping') return reply.status(200).send({ status: 'pong' });

        let payload: unknown;
        try {
          payload = JSON.parse(raw.toString('utf8'));
        } catch {
          throw AppError.badRequest('Webhook body is not valid JSON');
        }
        const log = request.log.child({ deliveryId, event });
        const normalized = normalizeDelivery(event, deliveryId, payload, await deliveryScope(deps.db, payload, deps.webHost, log));
        if (normalized.kind === 'invalid') throw AppError.badRequest(normalized.reason);
        if (normalized.kind === 'ignored') {
          deps.ignored.inc({ reason: normalized.code });
          log.info({ reason: normalized.reason }, 'webhook ignored');
          return reply.status(202).send({ status: 'ignored', reason: normalized.reason });
        }

        deps.queue.assertReady();
        // The same signed bytes under a new delivery id: a replay of a captured delivery, not GitHub's Redeliver (same id).
        const bodyHash = createHash('sha256').update(raw).digest('hex');
        let firstId: string;
        try {
          firstId = await deps.queue.claimWebhookBody(bodyHash, deliveryId, deps.replayWindowMs);
        } catch (err) {
          log.warn({ err }, 'could not check the webhook body for a replay');
          throw AppError.unavailable('Could not queue the webhook; redeliver it in a moment');
        }
        if (firstId !== deliveryId) {
          log.warn({ firstDeliveryId: firstId }, 'replayed webhook body under a new delivery id ignored');
          return reply.status(200).send({ status: 'duplicate' });
        }
        // Seen means applied (the worker records it in the transition's transaction) or its job is still pending or
        // done; a delivery whose job was parked is replayed here, so GitHub's Redeliver applies it.
        const [seen, matched] = await Promise.all([appliedAlready(deps.db, deliveryId, log), tasksMatched(deps.db, normalized.job, log)]);
        if (seen) {
          log.info('duplicate delivery ignored');
          return reply.status(200).send({ status: 'duplicate' });
        }
        let outcome;
        try {
          outcome = await deps.queue.enqueueWebhook({ ...normalized.job, receivedAt });
        } catch (err) {
          log.warn({ err }, 'could not enqueue webhook');
          throw AppError.unavailable('Could not queue the webhook; redeliver it in a moment');
        }
        if (outcome !== 'queued') {
          log.info({ job: outcome }, 'duplicate delivery ignored');
          return reply.status(200).send({ status: 'duplicate' });
        }
        span.setAttribute('github.delivery', deliveryId);
        return reply.status(202).send({ status: 'queued', ...(matched === undefined ? {} : { matched }) });
      },
    ),
  );
}
