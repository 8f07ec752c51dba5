import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { IDEMPOTENCY_ERRORS, IDEMPOTENCY_KEY_HEADER, IDEMPOTENT_REPLAYED_HEADER } from '@taskflow/events';
import { AppError } from '@taskflow/platform';
import { findIdempotentAnswer, type Db, type IdempotencyClaim } from '@taskflow/store';

/** A request's Idempotency-Key (its route's schema has checked it) and what the request was, hashed. */
export interface IdempotentRequest {
  key: string;
  fingerprint: string;
}

/** The answer of an action: new, or the stored first answer to its key (`replayed`). */
export interface ActionAnswer<T> {
  statusCode: number;
  body: T;
  replayed: boolean;
}

/** The key of a request that sent one; the fingerprint covers method, path (the task) and body. */
export function idempotentRequest(request: FastifyRequest): IdempotentRequest | undefined {
  const key = request.headers[IDEMPOTENCY_KEY_HEADER];
  if (typeof key !== 'string') return undefined;
  const path = request.url.split('?')[0];
  const fingerprint = createHash('sha256')
    .update(JSON.stringify([request.method, path, request.body ?? null]))
    .digest('hex');
  return { key, fingerprint };
}

/**
 * Runs an action at most once per (user, key). A key seen before answers with its first answer, unless it came with
 * another request (422). `run` gets the claim to record in the action's own transaction; when the action fails
 * because a request with the same key committed meanwhile (side by side, e.g. a retry of a slow request), that one's
 * answer is given instead. Without a key the action just runs.
 */
export async function applyOnce<T>(
  db: Db,
  userId: string,
  request: IdempotentRequest | undefined,
  statusCode: number,
  run: (claim: (IdempotencyClaim & { statusCode: number }) | undefined) => Promise<T>,
): Promise<ActionAnswer<T>> {
  if (!request) return { statusCode, body: await run(undefined), replayed: false };
  const replay = async () => {
    const first = await findIdempotentAnswer(db, userId, request.key);
    if (!first) return undefined;
    if (first.fingerprint !== request.fingerprint) {
      throw new AppError(
        IDEMPOTENCY_ERRORS.reused,
        422,
        'This Idempotency-Key was already used for another request (another action, task or body); use a new key for a new action',
      );
    }
    return { statusCode: first.statusCode, body: first.body as T, replayed: true };
  };
  const earlier = await replay();
  if (earlier) return earlier;
  try {
    return { statusCode, body: await run({ userId, ...request, statusCode }), replayed: false };
  } catch (err) {
    const meanwhile = await replay();
    if (meanwhile) return meanwhile;
    throw err;
  }
}

/**
 * A new answer goes through the route's response check like any other. A replay is sent as it was stored, as JSON
 * text (Fastify does not serialize a string with a JSON content type): it passed the check of the release that gave
 * it, and a deploy since that changed the schema must not turn the client's first answer into a 500.
 */
export function sendAnswer<T>(reply: FastifyReply, answer: ActionAnswer<T>): FastifyReply {
  if (!answer.replayed) return reply.status(answer.statusCode).send(answer.body);
  return reply
    .status(answer.statusCode)
    .header(IDEMPOTENT_REPLAYED_HEADER, 'true')
    .type('application/json; charset=utf-8')
    .send(JSON.stringify(answer.body));
}
