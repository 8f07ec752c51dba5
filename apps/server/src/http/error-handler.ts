import type { FastifyError, FastifyInstance } from 'fastify';
import { isAppError } from '@taskflow/platform';
import { TaskConflictError } from '../tasks/task-conflict';
import { isDatabaseUnavailable } from './database-unavailable';

/** TypeBox lists every problem, several for one field (a missing string is also not a string): the first of each field says it. */
function firstPerPath(details: Array<{ path: string; message: string }>) {
  const seen = new Set<string>();
  return details.filter((d) => !seen.has(d.path) && seen.add(d.path));
}

const UNSTORABLE_TEXT = new Set(['22021', '22P05']);

/**
 * Every error leaves as `{ error, message }` (plus `details` for validation), with the right status. An internal error
 * (a bug, or an LLM's, GitHub's or the database's answer nobody turned into an AppError) never shows its own text: the
 * client gets a stable message and the request id as `correlationId`, and the log gets the error under that id.
 */
export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (isAppError(err)) {
      // A 503 is load shed or a dependency down on purpose (LOGIN_BUSY, queue unavailable): a flood of them is no
      // bug, and must not flood the logs with stack traces either.
      if (err.statusCode === 503) request.log.warn({ code: err.code }, err.message);
      else if (err.statusCode >= 500) {
        request.log.error({ err, correlationId: request.id }, err.message);
        return reply.status(err.statusCode).send({ error: err.code, message: err.message, correlationId: request.id });
      }
      // A task action's 409 says where the task is now, for the page's "moved on to …" / "cancelled by …".
      const conflict = err instanceof TaskConflictError ? { conflict: err.conflict } : {};
      return reply.status(err.statusCode).send({ error: err.code, message: err.message, ...conflict });
    }
    if (err.validation) {
      return reply.status(400).send({
        error: 'VALIDATION_FAILED',
        message: `Invalid request ${err.validationContext ?? 'input'}: ${err.message}`,
        details: firstPerPath(err.validation.map((v) => ({ path: v.instancePath || '/', message: v.message ?? 'is invalid' }))),
      });
    }
    // Text PostgreSQL cannot store (a NUL character: SQLSTATE 22021 in text, 22P05 in jsonb) is the client's input,
    // whichever field carried it: a 400, not an internal error.
    if (UNSTORABLE_TEXT.has((err as { code?: unknown }).code as string)) {
      return reply.status(400).send({ error: 'VALIDATION_FAILED', message: 'Invalid request input: text contains a NUL character' });
    }
    if (isDatabaseUnavailable(err)) {
      request.log.warn({ err: err.message }, 'database unavailable');
      return reply.status(503).send({ error: 'UNAVAILABLE', message: 'The database is unavailable; try again in a moment' });
    }
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status >= 500) {
      request.log.error({ err, correlationId: request.id }, 'unhandled error');
      return reply.status(500).send({ error: 'INTERNAL', message: 'Something went wrong on our side', correlationId: request.id });
    }
    return reply.status(status).send({ error: err.code ?? 'BAD_REQUEST', message: err.message });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({ error: 'NOT_FOUND', message: `No route for ${request.method} ${request.url.split('?')[0]}` }),
  );
}
