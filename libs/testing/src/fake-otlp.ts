import { sendJson, startFake } from './http-fake';

/** One span as an OTLP/HTTP collector receives it (ids in hex), with the `service.name` of the process that sent it. */
export interface CollectedSpan {
  service: string;
  name: string;
  traceId: string;
  spanId: string;
  /** '' for a root span. */
  parentSpanId: string;
  attributes: Record<string, unknown>;
  links: Array<{ traceId: string; spanId: string }>;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
  arrayValue?: { values?: OtlpValue[] };
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}
interface OtlpSpan {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  attributes?: OtlpAttribute[];
  links?: Array<{ traceId: string; spanId: string }>;
}
interface OtlpExport {
  resourceSpans?: Array<{ resource?: { attributes?: OtlpAttribute[] }; scopeSpans?: Array<{ spans?: OtlpSpan[] }> }>;
}

const valueOf = (v: OtlpValue): unknown =>
  v.stringValue ??
  (v.intValue !== undefined ? Number(v.intValue) : undefined) ??
  v.doubleValue ??
  v.boolValue ??
  (v.arrayValue ? (v.arrayValue.values ?? []).map(valueOf) : undefined);
const attributesOf = (list: OtlpAttribute[] = []) => Object.fromEntries(list.map((a) => [a.key, valueOf(a.value)]));
/** OTLP/JSON says hex; a base64 id (protobuf-style JSON) is converted so ids compare across senders. */
const hex = (id: string | undefined) => (!id ? '' : /^[0-9a-f]+$/i.test(id) ? id.toLowerCase() : Buffer.from(id, 'base64').toString('hex'));

/**
 * A stand-in OpenTelemetry collector: OTLP/HTTP with JSON bodies (what `@opentelemetry/exporter-trace-otlp-http`
 * sends) on `POST /v1/traces`, answered as a collector does, every span kept for assertions.
 */
export async function startFakeOtlpCollector(): Promise<{ url: string; spans(): CollectedSpan[]; close(): Promise<void> }> {
  const spans: CollectedSpan[] = [];
  const fake = await startFake((req, res) => {
    if (req.method !== 'POST' || req.path !== '/v1/traces') return sendJson(res, 404, { message: 'not found' });
    const body = req.body as OtlpExport | undefined;
    if (!body || typeof body !== 'object') return sendJson(res, 400, { message: 'expected an OTLP/JSON body' });
    for (const rs of body.resourceSpans ?? []) {
      const service = String(attributesOf(rs.resource?.attributes)['service.name'] ?? '');
      for (const ss of rs.scopeSpans ?? []) {
        for (const s of ss.spans ?? []) {
          spans.push({
            service,
            name: s.name,
            traceId: hex(s.traceId),
            spanId: hex(s.spanId),
            parentSpanId: hex(s.parentSpanId),
            attributes: attributesOf(s.attributes),
            links: (s.links ?? []).map((l) => ({ traceId: hex(l.traceId), spanId: hex(l.spanId) })),
          });
        }
      }
    }
    sendJson(res, 200, { partialSuccess: {} });
  });
  return { url: fake.url, spans: () => [...spans], close: fake.close };
}
