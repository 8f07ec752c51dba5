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

const FORMATS: Readonly<Record<string, (value: string) => boolean>> = {
  uuid: isUuid,
  // RFC 3339, as toISOString() writes it (a zone is required), and a real instant.
  'date-time': (v) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i.test(v) && !Number.isNaN(Date.parse(v)),
  date: (v) => /^\d{4}-\d{2}-\d{2}$/.test(v) && new Date(`${v}T00:00:00Z`).toISOString().startsWith(v),
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

/** The formats the contract's schemas may use. */
export const STRING_FORMATS = Object.keys(FORMATS);
