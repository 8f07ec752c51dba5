import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance } from 'fastify';

/**
 * Request validation. JSON bodies are checked as sent: a number where a string
 * belongs is an error, not something to convert. Query strings and path
 * parameters arrive as text, so those (and only those) are coerced to the
 * schema's types. Unknown fields are rejected everywhere, never dropped.
 */
export function registerValidator(app: FastifyInstance): void {
  const options = { useDefaults: true, removeAdditional: false, allErrors: false } as const;
  const strict = addFormats(new Ajv({ ...options, coerceTypes: false }));
  const coercing = addFormats(new Ajv({ ...options, coerceTypes: 'array' }));
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? strict : coercing).compile(schema));
}
