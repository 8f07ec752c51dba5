import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

export type RequestLogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/**
 * Fastify's per-request lines ("incoming request", "request completed", "Route … not found")
 * at REQUEST_LOG_LEVEL instead of info; a request that failed keeps its error line. On a
 * terminal they are debug: otherwise they were about 80 % of what `npm start` printed.
 */
export class RequestLog extends LogController {
  constructor(private readonly level: RequestLogLevel) {
    super();
  }

  override incomingRequest(request: FastifyRequest): void {
    if (this.level === 'silent' || this.isLogDisabled(request)) return;
    request.log[this.level]({ req: request }, 'incoming request');
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error) return super.requestCompleted(error, request, reply);
    if (this.level === 'silent' || this.isLogDisabled(request)) return;
    reply.log[this.level]({ res: reply, responseTime: reply.elapsedTime }, 'request completed');
  }

  override routeNotFound(request: FastifyRequest): void {
    if (this.level === 'silent' || this.isLogDisabled(request)) return;
    request.log[this.level](`Route ${request.raw.method}:${request.raw.url} not found`);
  }
}
