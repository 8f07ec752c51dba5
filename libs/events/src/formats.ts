import { FormatRegistry } from '@sinclair/typebox';
import { DefaultErrorFunction, SetErrorFunction, ValueErrorType } from '@sinclair/typebox/errors';

/**
 * String formats for TypeBox, registered once for every user of the contract: the server's HTTP
 * validator and its sockets, the worker and the web app check the same schemas the same way.
 * TypeBox ships none, and an unregistered format fails every value.
 */
const parses = (v: string) => {
  try {
    return Boolean(new URL(v));
  } catch {
    return false;
  }
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The contract's `uuid` format: a plain UUID only, as PostgreSQL's uuid type parses it (not the `urn:uuid:` form). */
export const isUuid = (value: string): boolean => UUID.test(value);

/** `YYYY-MM-DD` naming a day that exists (Date would roll 2026-02-31 over to March). */
const isCalendarDate = (v: string) => /^\d{4}-\d{2}-\d{2}$/.test(v) && new Date(`${v}T00:00:00Z`).toISOString().startsWith(v);

const FORMATS: Readonly<Record<string, (value: string) => boolean>> = {
  uuid: isUuid,
  // RFC 3339, as toISOString() writes it (a zone is required), and a real instant.
  'date-time': (v) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i.test(v) && !Number.isNaN(Date.parse(v)),
  date: isCalendarDate,
  uri: (v) => /^[a-z][a-z0-9+.-]*:/i.test(v) && parses(v),
  email: (v) => /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v),
};

for (const [name, check] of Object.entries(FORMATS)) {
  if (!FormatRegistry.Has(name)) FormatRegistry.Set(name, check);
}

// TypeBox says "Unexpected property" at the field's path; name the rule too, so a client reading
// only the message knows unknown fields are refused rather than dropped.
SetErrorFunction((error) =>
  error.errorType === ValueErrorType.ObjectAdditionalProperties
    ? 'Unexpected property: additional properties are not allowed'
    : DefaultErrorFunction(error),
);

// toISOString() writes years 0001 to 9999 as PostgreSQL reads them; it has no year 0, and refuses the `+010000-` form.
const FIRST_STORABLE = Date.parse('0001-01-01T00:00:00Z');
const LAST_STORABLE = Date.parse('9999-12-31T23:59:59.999Z');

/** Whether an instant (ms) may be handed to PostgreSQL as toISOString() writes it: years 0001 to 9999. */
export const isStorableInstant = (ms: number): boolean => ms >= FIRST_STORABLE && ms <= LAST_STORABLE;

// PostgreSQL's text form of a timestamptz, e.g. `2026-11-25 18:45:12.123456+00` (what a page cursor carries).
const PG_TIMESTAMP = /^(\d{4}-\d{2}-\d{2}) (\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?([+-])(\d{2})(?::(\d{2}))?$/;

/**
 * A timestamptz in PostgreSQL's text form as an instant (ms), or undefined unless it is a real one PostgreSQL takes:
 * the shape alone lets through month 13, hour 99 or offset +99, which PostgreSQL answers with an error.
 */
export function pgTimestampMs(text: string): number | undefined {
  const m = PG_TIMESTAMP.exec(text);
  if (!m) return undefined;
  const [, date = '', h, min, s, fraction = '', sign, oh, om = '00'] = m;
  if (Number(h) > 23 || Number(min) > 59 || Number(s) > 59 || Number(oh) > 15 || Number(om) > 59) return undefined;
  if (!isCalendarDate(date)) return undefined;
  const ms = Date.parse(`${date}T${h}:${min}:${s}${fraction.slice(0, 4)}${sign}${oh}:${om}`);
  return isStorableInstant(ms) ? ms : undefined;
}

/** The formats the contract's schemas may use. */
export const STRING_FORMATS = Object.keys(FORMATS);
