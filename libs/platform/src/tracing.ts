import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { Logger } from './logger';

/**
 * OpenTelemetry traces of one change on its way to the screen: webhook request → BullMQ job → transaction → outbox
 * publish → adapter → socket emit. Off unless an OTLP endpoint is configured; while off, every helper here is the
 * API's no-op (no span is recorded and no trace context is written anywhere).
 */
export interface TracingConfig {
  /** OTLP/HTTP base URL (traces go to `<endpoint>/v1/traces`); tracing is off without it. */
  endpoint: string | undefined;
  serviceName: string;
  /** Longest a finished span waits in the batch before it is exported. */
  exportDelayMs: number;
}

const tracer = () => trace.getTracer('taskflow');
// One fixed format on every hop (job data, outbox row, broadcast), whatever OTEL_PROPAGATORS says.
const w3c = new W3CTraceContextPropagator();

/** Starts the SDK when an endpoint is configured; resolves to what flushes and stops it (a no-op when off). */
export function startTracing(config: TracingConfig, logger: Logger): () => Promise<void> {
  if (!config.endpoint) return async () => undefined;
  const exporter = new OTLPTraceExporter({ url: `${config.endpoint.replace(/\/+$/, '')}/v1/traces` });
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({ 'service.name': config.serviceName }),
    autoDetectResources: false,
    spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: config.exportDelayMs })],
    // Traces only: no metrics (Prometheus has those) and no logs (pino has those), whatever OTEL_* says.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [],
  });
  sdk.start();
  logger.info({ endpoint: config.endpoint, service: config.serviceName }, 'tracing on: OTLP/HTTP export');
  return () => sdk.shutdown().catch((err: unknown) => logger.warn({ err }, 'could not flush the last spans'));
}

/** The W3C `traceparent` of the active span, to carry to the next hop; undefined while tracing is off. */
export function activeTraceParent(): string | undefined {
  const span = trace.getActiveSpan();
  if (!span?.isRecording()) return undefined;
  const carrier: Record<string, string> = {};
  w3c.inject(context.active(), carrier, { set: (c, k, v) => (c[k] = v) });
  return carrier.traceparent;
}

/** The context a carried `traceparent` continues (the root context when there is none or it is malformed). */
export function contextOf(traceParent: string | null | undefined): Context {
  if (!traceParent) return ROOT_CONTEXT;
  return w3c.extract(ROOT_CONTEXT, { traceparent: traceParent }, { get: (c, k) => c[k], keys: (c) => Object.keys(c) });
}

export interface SpanOptions {
  /** The `traceparent` this span continues (a job's, an outbox row's); the active span's otherwise. */
  parent?: string | null;
  /** Further carried contexts this span also covers (a batch of several rows): linked, not parents. */
  links?: ReadonlyArray<string | null | undefined>;
  kind?: SpanKind;
  attributes?: Attributes;
}

/** Runs `fn` in a new span (ended when it settles, marked as an error when it throws); `fn` runs as is while off. */
export async function withSpan<T>(name: string, opts: SpanOptions, fn: (span: Span) => Promise<T>): Promise<T> {
  const parent = opts.parent === undefined ? context.active() : contextOf(opts.parent);
  const links = (opts.links ?? [])
    .map((l) => trace.getSpanContext(contextOf(l)))
    .filter((sc) => sc !== undefined)
    .map((sc) => ({ context: sc }));
  return tracer().startActiveSpan(
    name,
    { kind: opts.kind ?? SpanKind.INTERNAL, attributes: opts.attributes, links },
    parent,
    async (span) => {
      try {
        return await fn(span);
      } catch (err) {
        span.recordException(err as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error)?.message });
        throw err;
      } finally {
        span.end();
      }
    },
  );
}

/** Records an instant (a span that starts and ends now) under a carried context, e.g. a broadcast reaching a node. */
export function recordSpan(name: string, traceParent: string, attributes: Attributes, kind = SpanKind.CONSUMER): void {
  tracer().startSpan(name, { kind, attributes }, contextOf(traceParent)).end();
}

export { SpanKind };
