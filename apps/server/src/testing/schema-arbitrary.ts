import fc from 'fast-check';

/**
 * fast-check arbitraries derived from a JSON Schema (TypeBox's, or the OpenAPI document's copy of it), for fuzzing
 * what a route or socket message accepts: mostly values the schema allows (so requests reach handlers and the
 * database), plus values at and just past each bound, wrong types, missing and extra fields.
 */
export type JsonSchema = { [key: string]: any };

export interface SchemaArbitraryOptions {
  /** Ids that exist (tasks, users): a `uuid` is often one of them, so handlers get past "not found". */
  knownIds: readonly string[];
}

/** Strings that have broken parsers before: control and format characters, lone surrogates, escapes, injections. */
const AWKWARD_STRINGS = [
  '',
  ' ',
  '\u0000',
  '\ud800',
  '\udfff',
  '😀',
  '👩‍👩‍👧‍👦',
  '\u202e',
  '\u0130',
  'ß',
  'null',
  'undefined',
  'true',
  '0',
  '-1',
  '1e999',
  'NaN',
  '__proto__',
  'constructor',
  "'; drop table tasks; --",
  '%00',
  '../../etc/passwd',
  '\r\n',
  '<script>',
  '${x}',
];

/** Dates and times at the edges of what JavaScript and PostgreSQL read: year 0, 9999, rollovers, bad offsets. */
const AWKWARD_DATES = [
  '0000-01-01',
  '0000-12-31T23:00Z',
  '0001-01-01',
  '0001-01-01T00:00+01:00',
  '9999-12-31',
  '9999-12-31T23:59:59.999Z',
  '9999-12-31T23:59-01:00',
  '10000-01-01',
  '+010000-01-01T00:00:00.000Z',
  '-000001-01-01T00:00:00Z',
  '2026-02-29',
  '2026-02-30',
  '2026-13-01',
  '2026-00-10',
  '2026-01-01T24:00Z',
  '2026-01-01T23:59:60Z',
  '2026-01-01T10:00+99:00',
  '2026-01-01T10:00:00.1234567Z',
  '1970-01-01T00:00:00Z',
  '2026-12-06 10:00:00+00',
];

const INTEGER_EDGES = [0, -1, 1, 2 ** 31 - 1, 2 ** 31, -(2 ** 31) - 1, 2 ** 53, -(2 ** 53), 1e21, 1e308, -1e308, 0.5, -0];

const isObjectSchema = (s: JsonSchema) => s.type === 'object' || s.properties !== undefined || s.patternProperties !== undefined;

/** Any JSON value, small: the wrong type for most fields. */
export const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(...AWKWARD_STRINGS),
  fc.string({ maxLength: 8 }),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }),
);

function stringEdges(s: JsonSchema): string[] {
  const edges = [...AWKWARD_STRINGS];
  const max = s.maxLength as number | undefined;
  const min = s.minLength as number | undefined;
  if (max !== undefined) edges.push('a'.repeat(max), 'a'.repeat(max + 1), '😀'.repeat(Math.ceil(max / 2) + 1), ' '.repeat(max));
  else edges.push('a'.repeat(5000));
  if (min !== undefined && min > 0) edges.push('a'.repeat(min - 1), 'a'.repeat(min));
  if (s.format === 'uuid')
    edges.push(
      '3F2B8C1E-8D9A-4C6B-9F1E-2A3B4C5D6E7F',
      'urn:uuid:3f2b8c1e-8d9a-4c6b-9f1e-2a3b4c5d6e7f',
      '00000000-0000-0000-0000-000000000000',
      '3f2b8c1e8d9a4c6b9f1e2a3b4c5d6e7f',
      '3f2b8c1e-8d9a-4c6b-9f1e-2a3b4c5d6e7',
    );
  if (s.format?.includes('date') || s.pattern?.includes('\\d{4}')) edges.push(...AWKWARD_DATES);
  return edges;
}

function validString(s: JsonSchema, o: SchemaArbitraryOptions): fc.Arbitrary<string> {
  const min = (s.minLength as number | undefined) ?? 0;
  const max = Math.min((s.maxLength as number | undefined) ?? 40, Math.max(min, 40));
  const sized = (a: fc.Arbitrary<string>) =>
    a.filter((v) => v.length >= min && v.length <= ((s.maxLength as number | undefined) ?? Infinity));
  if (s.format === 'uuid') {
    const ids = o.knownIds.length ? [fc.constantFrom(...o.knownIds), fc.constantFrom(...o.knownIds).map((id) => id.toUpperCase())] : [];
    return fc.oneof(...ids, fc.uuid());
  }
  if (s.format === 'date-time') return fc.date({ noInvalidDate: true }).map((d) => d.toISOString());
  if (s.format === 'date') return fc.date({ noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
  if (s.format === 'email') return fc.emailAddress();
  if (s.format === 'uri') return fc.webUrl();
  if (typeof s.pattern === 'string') {
    // fast-check cannot generate lookaheads: generate without them, keep what the whole pattern matches.
    const whole = new RegExp(s.pattern);
    const generable = new RegExp(s.pattern.replace(/\(\?[!=][^)]*\)/g, ''));
    return sized(fc.stringMatching(generable, { size: 'small' }).filter((v) => whole.test(v)));
  }
  return fc.oneof(
    fc.string({ minLength: min, maxLength: max }),
    fc
      .string({ minLength: min, maxLength: max, unit: 'grapheme' })
      .filter((v) => v.length <= ((s.maxLength as number | undefined) ?? Infinity)),
  );
}

function validNumber(s: JsonSchema): fc.Arbitrary<number> {
  const lo = (s.minimum as number | undefined) ?? (s.exclusiveMinimum !== undefined ? (s.exclusiveMinimum as number) + 1 : -1000);
  const hi = (s.maximum as number | undefined) ?? (s.exclusiveMaximum !== undefined ? (s.exclusiveMaximum as number) - 1 : lo + 10_000);
  if (s.type === 'integer') return fc.integer({ min: Math.max(lo, -(2 ** 31)), max: Math.min(hi, 2 ** 31 - 1) });
  return fc.double({ min: lo, max: hi, noNaN: true });
}

function numberEdges(s: JsonSchema): number[] {
  const edges = [...INTEGER_EDGES];
  for (const key of ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'] as const) {
    const v = s[key] as number | undefined;
    if (v !== undefined) edges.push(v, v - 1, v + 1, v + 0.5);
  }
  return edges;
}

/** Values the schema accepts (best effort: patterns and formats are honoured, unions pick a branch). */
function validArbitrary(s: JsonSchema, o: SchemaArbitraryOptions, depth = 0): fc.Arbitrary<unknown> {
  if (s.const !== undefined) return fc.constant(s.const);
  if (Array.isArray(s.enum)) return fc.constantFrom(...(s.enum as unknown[]));
  const union = (s.anyOf ?? s.oneOf) as JsonSchema[] | undefined;
  if (union) return fc.oneof(...union.map((b) => validArbitrary(b, o, depth)));
  if (s.type === 'string') return validString(s, o);
  if (s.type === 'integer' || s.type === 'number') return validNumber(s);
  if (s.type === 'boolean') return fc.boolean();
  if (s.type === 'null') return fc.constant(null);
  if (s.type === 'array') {
    const item = depth > 3 ? anyJson : validArbitrary(s.items ?? {}, o, depth + 1);
    const constraints = { minLength: s.minItems ?? 0, maxLength: Math.min(s.maxItems ?? 4, Math.max(s.minItems ?? 0, 4)) };
    return s.uniqueItems ? fc.uniqueArray(item, { ...constraints, selector: (v) => JSON.stringify(v) }) : fc.array(item, constraints);
  }
  if (isObjectSchema(s)) {
    const props = (s.properties ?? {}) as Record<string, JsonSchema>;
    const model = Object.fromEntries(Object.entries(props).map(([k, v]) => [k, depth > 3 ? anyJson : validArbitrary(v, o, depth + 1)]));
    const record = fc.record(model, { requiredKeys: (s.required ?? []) as string[] });
    const pattern = s.patternProperties ? (Object.values(s.patternProperties)[0] as JsonSchema) : undefined;
    if (!pattern) return record;
    // A TypeBox Record: its keys are usually ids.
    const keys = validString({ type: 'string', format: 'uuid' }, o);
    return fc.tuple(record, fc.dictionary(keys, validArbitrary(pattern, o, depth + 1), { maxKeys: 3 })).map(([a, b]) => ({ ...b, ...a }));
  }
  return anyJson;
}

/** Values at and past the schema's bounds, of the wrong type, or objects with a field missing or added. */
function edgeArbitrary(s: JsonSchema, o: SchemaArbitraryOptions, depth = 0): fc.Arbitrary<unknown> {
  const union = (s.anyOf ?? s.oneOf) as JsonSchema[] | undefined;
  if (union) return fc.oneof(...union.map((b) => edgeArbitrary(b, o, depth)));
  if (s.const !== undefined || Array.isArray(s.enum))
    return fc.oneof(
      fc.constantFrom(...AWKWARD_STRINGS),
      fc.constantFrom(...((s.enum ?? [s.const]) as unknown[])).map((v) => `${String(v)}x`),
    );
  if (s.type === 'string') {
    const mutated = validString(s, o).chain((v) => fc.constantFrom(`${v} `, ` ${v}`, `${v}\u0000`, v.toUpperCase(), `${v}${v}`));
    return fc.oneof(fc.constantFrom(...stringEdges(s)), mutated);
  }
  if (s.type === 'integer' || s.type === 'number') return fc.constantFrom(...numberEdges(s));
  if (s.type === 'array') {
    const item = depth > 3 ? anyJson : valueArbitrary(s.items ?? {}, o, depth + 1);
    const over = (s.maxItems ?? 20) + 1;
    return fc.oneof(
      fc.constant([]),
      fc.array(item, { minLength: over, maxLength: over }),
      validArbitrary(s.items ?? {}, o, depth + 1).map((v) => Array.from({ length: Math.max(2, s.minItems ?? 2) }, () => v)),
      fc.array(item, { maxLength: 4 }),
    );
  }
  if (isObjectSchema(s)) {
    const props = (s.properties ?? {}) as Record<string, JsonSchema>;
    const model = Object.fromEntries(Object.entries(props).map(([k, v]) => [k, depth > 3 ? anyJson : valueArbitrary(v, o, depth + 1)]));
    const base = fc.record(model, { requiredKeys: [] });
    const extraKey = fc.constantFrom(
      'extra',
      '__proto__',
      'constructor',
      '',
      'x'.repeat(300),
      ...Object.keys(props).map((k) => k.toUpperCase()),
    );
    return fc.oneof(
      base,
      fc.tuple(validArbitrary(s, o, depth), extraKey, anyJson).map(([v, k, x]) => ({ ...(v as object), [k]: x })),
      fc.tuple(validArbitrary(s, o, depth), fc.constantFrom(...Object.keys(props), 'none')).map(([v, k]) => {
        const { [k]: _dropped, ...rest } = v as Record<string, unknown>;
        return rest;
      }),
    );
  }
  return anyJson;
}

/** What a fuzzer sends for a field: mostly valid, often at or past a bound, sometimes of the wrong type. */
export function valueArbitrary(s: JsonSchema, o: SchemaArbitraryOptions, depth = 0): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 5, arbitrary: validArbitrary(s, o, depth) },
    { weight: 3, arbitrary: edgeArbitrary(s, o, depth) },
    { weight: 1, arbitrary: anyJson },
  );
}
