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
  /** The id a field of this name names when valid (e.g. `userId`: a user an admin may manage), for `validSample`. */
  idsByName?: Readonly<Record<string, string>>;
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

const UUID_EDGES = [
  '3F2B8C1E-8D9A-4C6B-9F1E-2A3B4C5D6E7F',
  'urn:uuid:3f2b8c1e-8d9a-4c6b-9f1e-2a3b4c5d6e7f',
  '00000000-0000-0000-0000-000000000000',
  '3f2b8c1e8d9a4c6b9f1e2a3b4c5d6e7f',
  '3f2b8c1e-8d9a-4c6b-9f1e-2a3b4c5d6e7',
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
  if (s.format === 'uuid') edges.push(...UUID_EDGES);
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

/** Values of the wrong JSON type for nearly any field. */
const WRONG_TYPES: unknown[] = [null, true, 1, 'x', [], {}];

/** One value the schema accepts, always the same one: the "otherwise valid" fields around an edge value. */
export function validSample(s: JsonSchema, o: SchemaArbitraryOptions, name?: string): unknown {
  if (s.const !== undefined) return s.const;
  if (Array.isArray(s.enum)) return s.enum[0];
  const union = (s.anyOf ?? s.oneOf) as JsonSchema[] | undefined;
  if (union) return validSample(union.find((b) => b.type !== 'null') ?? union[0]!, o, name);
  if (s.type === 'string') {
    if (s.format === 'uuid') return (name && o.idsByName?.[name]) || o.knownIds[0] || '3f2b8c1e-8d9a-4c6b-9f1e-2a3b4c5d6e7f';
    if (s.format === 'date-time') return '2026-12-06T10:00:00.000Z';
    if (s.format === 'date') return '2026-12-06';
    if (s.format === 'email') return 'someone@example.com';
    if (s.format === 'uri') return 'https://example.com/';
    if (typeof s.pattern === 'string') return fc.sample(validString(s, o), { numRuns: 1, seed: 1 })[0];
    return 'a'.repeat(Math.min(Math.max((s.minLength as number | undefined) ?? 1, 1), (s.maxLength as number | undefined) ?? 1));
  }
  if (s.type === 'integer' || s.type === 'number') {
    if (s.minimum !== undefined) return s.minimum;
    if (s.exclusiveMinimum !== undefined) return (s.exclusiveMinimum as number) + 1;
    return Math.min(1, (s.maximum as number | undefined) ?? 1);
  }
  if (s.type === 'boolean') return false;
  if (s.type === 'null') return null;
  if (s.type === 'array') return Array.from({ length: (s.minItems as number | undefined) ?? 0 }, () => validSample(s.items ?? {}, o));
  if (isObjectSchema(s)) {
    const props = (s.properties ?? {}) as Record<string, JsonSchema>;
    return Object.fromEntries(((s.required ?? []) as string[]).map((k) => [k, validSample(props[k] ?? {}, o, k)]));
  }
  return null;
}

function stringBoundEdges(s: JsonSchema, o: SchemaArbitraryOptions, name?: string): unknown[] {
  const min = s.minLength as number | undefined;
  const max = s.maxLength as number | undefined;
  const valid = validSample(s, o, name) as string;
  const edges: unknown[] = ['', ' ', '\u0000', '\ud800', '__proto__', "'; drop table tasks; --", `${valid} `, valid.toUpperCase()];
  if (min !== undefined && min > 0) edges.push('a'.repeat(min - 1), 'a'.repeat(min));
  if (max !== undefined) edges.push('a'.repeat(max), 'a'.repeat(max + 1), '😀'.repeat(Math.ceil(max / 2) + 1));
  else edges.push('a'.repeat(5000));
  if (s.format === 'uuid') edges.push(...UUID_EDGES);
  if (s.format?.includes('date') || s.pattern?.includes('\\d{4}')) edges.push(...AWKWARD_DATES);
  return edges;
}

function numberBoundEdges(s: JsonSchema): unknown[] {
  const edges: unknown[] = [0, -1, 0.5, 2 ** 31 - 1, 2 ** 31, -(2 ** 31) - 1, 2 ** 53, 1e21, -1e21, '1', '1e3'];
  for (const key of ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'] as const) {
    const v = s[key] as number | undefined;
    if (v !== undefined) edges.push(v - 1, v, v + 1);
  }
  return edges;
}

/**
 * Every bound edge of a schema, each once, as whole values that are otherwise valid: for an object, each field in
 * turn at each of its edges (min-1, min, max, max+1, 2^31-1, 2^31, 1e21, year 0/9999 dates, empty and over-long
 * strings, wrong types), the others at `validSample`; each required field missing; an unknown field added.
 */
export function boundEdges(s: JsonSchema, o: SchemaArbitraryOptions, name?: string, depth = 0): unknown[] {
  const unique = (values: unknown[]) => [...new Map(values.map((v) => [JSON.stringify(v) ?? 'undefined', v])).values()];
  if (depth > 3) return WRONG_TYPES;
  const union = (s.anyOf ?? s.oneOf) as JsonSchema[] | undefined;
  if (union) return unique(union.flatMap((b) => boundEdges(b, o, name, depth)));
  if (s.const !== undefined || Array.isArray(s.enum)) {
    const members = (s.enum ?? [s.const]) as unknown[];
    return unique([...members, ...members.map((v) => `${String(v)}x`), '', ...WRONG_TYPES]);
  }
  if (s.type === 'string') return unique([...stringBoundEdges(s, o, name), ...WRONG_TYPES.filter((v) => typeof v !== 'string')]);
  if (s.type === 'integer' || s.type === 'number')
    return unique([...numberBoundEdges(s), ...WRONG_TYPES.filter((v) => typeof v !== 'number')]);
  if (s.type === 'boolean') return [true, false, 'true', 0, ...WRONG_TYPES.filter((v) => typeof v !== 'boolean')];
  if (s.type === 'array') {
    const item = s.items ?? {};
    const valid = validSample(item, o);
    const min = (s.minItems as number | undefined) ?? 0;
    const of = (n: number) => Array.from({ length: n }, () => valid);
    const lengths = [0, min - 1, min, min + 1, s.maxItems, s.maxItems === undefined ? 1001 : s.maxItems + 1].filter(
      (n): n is number => typeof n === 'number' && n >= 0,
    );
    const items = boundEdges(item, o, undefined, depth + 1).map((e) => [e, ...of(Math.max(min - 1, 0))]);
    return unique([...lengths.map(of), ...items, ...WRONG_TYPES.filter((v) => !Array.isArray(v))]);
  }
  if (isObjectSchema(s)) {
    const props = (s.properties ?? {}) as Record<string, JsonSchema>;
    const base = validSample(s, o, name) as Record<string, unknown>;
    const fields = Object.entries(props).flatMap(([k, p]) => boundEdges(p, o, k, depth + 1).map((e) => ({ ...base, [k]: e })));
    const missing = ((s.required ?? []) as string[]).map((k) => {
      const { [k]: _dropped, ...rest } = base;
      return rest;
    });
    const pattern = s.patternProperties ? (Object.values(s.patternProperties)[0] as JsonSchema) : undefined;
    const keyed = pattern
      ? boundEdges(pattern, o, undefined, depth + 1).map((e) => ({
          ...base,
          [validSample({ type: 'string', format: 'uuid' }, o) as string]: e,
        }))
      : [];
    return unique([
      base,
      ...fields,
      ...missing,
      ...keyed,
      { ...base, extra: 1 },
      ...WRONG_TYPES.filter((v) => v === null || typeof v !== 'object' || Array.isArray(v)),
    ]);
  }
  return WRONG_TYPES;
}
