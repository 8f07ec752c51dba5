import type { FastifyInstance } from 'fastify';
import { TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { TSchema } from '@sinclair/typebox';
// The contract's string formats (uuid, date-time, …) are registered when it loads.
import '@taskflow/events';

/**
 * Requests and responses are checked by TypeBox's compiler, the engine the sockets and the
 * config use, with the contract's string formats (registered by @taskflow/events). JSON
 * bodies are checked as sent: a number where a string belongs is an error, not something
 * to convert. Query strings and path parameters arrive as text, so those (and only those)
 * are converted to the schema's types. Unknown fields are rejected everywhere, never dropped.
 *
 * A response is checked against its route's schema before it leaves, and refused (a 500 and
 * an error log) when it breaks it: the schemas are the published contract (/api/docs), and
 * unlike Fastify's default serializer this never drops a field silently.
 */
export function registerValidator(app: FastifyInstance): void {
  app.setValidatorCompiler(TypeBoxValidatorCompiler);
  app.setSerializerCompiler(({ schema, method, url, httpStatus }) => {
    const check = TypeCompiler.Compile(schema as TSchema);
    return (data) => {
      if (!check.Check(data)) {
        const first = check.Errors(data).First();
        throw new Error(
          `Response of ${method} ${url} (${httpStatus}) breaks its schema at ${first?.path || '/'}: ${first?.message ?? 'invalid'}`,
        );
      }
      return JSON.stringify(data);
    };
  });
}
