import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import pino from 'pino';
import { activeTraceParent, contextOf, recordSpan, startTracing, withSpan } from './tracing';

const logger = pino({ level: 'silent' });
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/;

describe('tracing while off (no endpoint)', () => {
  it('runs the work as is and carries no context anywhere', async () => {
    const stop = startTracing({ endpoint: undefined, serviceName: 'off', exportDelayMs: 100 }, logger);
    const seen = await withSpan('outer', {}, async () => withSpan('inner', { parent: null }, async () => activeTraceParent()));
    expect(seen).toBeUndefined();
    await expect(withSpan('fails', {}, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await stop();
  });

  it('ignores a malformed carried traceparent: the span starts a trace of its own', () => {
    expect(trace.getSpanContext(contextOf('not-a-traceparent'))).toBeUndefined();
    expect(trace.getSpanContext(contextOf(null))).toBeUndefined();
    expect(trace.getSpanContext(contextOf(`00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`))?.traceId).toBe('a'.repeat(32));
  });
});

// What startTracing's SDK does, with spans kept in memory: the OTLP export itself runs in the apps' own processes
// (apps/worker/src/tracing.int-spec.ts), since the exporter loads `http` by a dynamic import Jest's VM refuses.
describe('tracing on', () => {
  const exporter = new InMemorySpanExporter();
  beforeAll(() => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
  });
  afterAll(() => {
    trace.disable();
    context.disable();
  });

  it('nests spans, carries them as traceparents, continues, links and records them across hops', async () => {
    const carried = await withSpan('request', {}, async () => withSpan('transaction', {}, async () => activeTraceParent()));
    const [, traceId, transactionId] = TRACEPARENT.exec(carried ?? '') ?? [];
    expect(traceId).toBeDefined();
    // Another process continues the carried context, links a second one, and a node records the last hop.
    const other = `00-${'c'.repeat(32)}-${'d'.repeat(16)}-01`;
    const published = await withSpan('publish', { parent: carried, links: [other, null] }, async () => activeTraceParent());
    recordSpan('emit', published!, { 'socket.io.sockets': 2 });
    await expect(withSpan('fails', { parent: carried }, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');

    const spans = exporter.getFinishedSpans();
    const byName = Object.fromEntries(spans.map((s) => [s.name, s]));
    const parentOf = (name: string) => byName[name]!.parentSpanContext?.spanId;
    expect(spans.map((s) => s.spanContext().traceId)).toEqual(spans.map(() => traceId));
    expect(parentOf('request')).toBeUndefined();
    expect(parentOf('transaction')).toBe(byName.request!.spanContext().spanId);
    expect(byName.transaction!.spanContext().spanId).toBe(transactionId);
    expect(parentOf('publish')).toBe(transactionId);
    expect(byName.publish!.links.map((l) => l.context.traceId)).toEqual(['c'.repeat(32)]);
    expect(parentOf('emit')).toBe(byName.publish!.spanContext().spanId);
    expect(byName.emit!.attributes).toEqual({ 'socket.io.sockets': 2 });
    expect(parentOf('fails')).toBe(transactionId);
    expect(byName.fails!.status).toMatchObject({ code: SpanStatusCode.ERROR, message: 'boom' });
  });
});
