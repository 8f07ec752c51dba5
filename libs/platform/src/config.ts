import { CloneType, Type, type Static, type TObject, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

/** Thrown when the environment is invalid; lists every bad variable at once. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type DeepReadonly<T> = T extends (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/**
 * Parses environment variables against a TypeBox schema whose keys are the
 * variable names: applies defaults, converts strings to numbers/booleans, and
 * returns a deep-frozen object, or throws a ConfigError naming every problem.
 * Empty strings count as unset, so `FOO=` falls back to the default.
 */
export function parseEnv<S extends TObject>(schema: S, env: Record<string, string | undefined>): DeepReadonly<Static<S>> {
  const input: Record<string, unknown> = {};
  for (const key of Object.keys(schema.properties)) {
    const raw = env[key];
    if (raw !== undefined && raw !== '') input[key] = raw;
  }
  const value = Value.Convert(schema, Value.Default(schema, input));
  const problems = [...Value.Errors(schema, value)].map((e) => {
    const name = e.path.replace(/^\//, '') || '(root)';
    return `${name}: ${e.message}${env[name] !== undefined ? ` (got ${shownValue(name, env[name])})` : ''}`;
  });
  if (problems.length > 0) throw new ConfigError(problems);
  return deepFreeze(value as Static<S>) as DeepReadonly<Static<S>>;
}

/** Variables whose value is a credential by its name alone. */
const SECRET_NAME = /(SECRET|TOKEN|PASSWORD|PASSWD|_KEY|APIKEY|CREDENTIALS?)$/i;

/**
 * How a bad value is quoted in a configuration error: as is, except that a
 * secret never appears (errors end up in logs and CI output). Credential-named
 * variables show only their length; a URL shows no password; anything else
 * that looks like it carries credentials (user:pass@host) is hidden whole.
 */
export function shownValue(name: string, value: string): string {
  if (SECRET_NAME.test(name)) return `a value of ${value.length} characters, hidden`;
  try {
    const url = new URL(value);
    if (url.password) {
      url.password = '***';
      return `"${url.toString()}"`;
    }
  } catch {
    // not a URL
  }
  if (/^[^@\s]*:[^@\s]*@/.test(value.replace(/^[a-z][a-z0-9+.-]*:\/\//i, ''))) return 'a value with credentials, hidden';
  return `"${value}"`;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** A variable's schema with its `description`, which the configuration reference (docs/configuration.md) shows. */
export function described<T extends TSchema>(schema: T, description: string): T {
  return CloneType(schema, { description });
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Common variable shapes, so every app spells them the same way. */
export const Env = {
  port: (def: number) => Type.Integer({ minimum: 0, maximum: 65535, default: def }),
  url: (def?: string) => Type.String({ pattern: '^[a-z][a-z0-9+.-]*://', ...(def === undefined ? {} : { default: def }) }),
  bool: (def: boolean) => Type.Boolean({ default: def }),
  repos: (def: string) => Type.String({ pattern: REPO_LIST_PATTERN, default: def }),
  secret: () => Type.String({ minLength: 32 }),
  logLevel: () =>
    Type.Union(
      LOG_LEVELS.map((l) => Type.Literal(l)),
      { default: 'info' },
    ),
  /** A level without a default: the app decides what unset means. */
  optionalLogLevel: () => Type.Optional(Type.Union(LOG_LEVELS.map((l) => Type.Literal(l)))),
};

const REPO_ENTRY = '([A-Za-z0-9_-]+:)?[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+';
/**
 * GITHUB_REPOS: `owner/name` or `org:owner/name` entries, comma-separated, or nothing; as a schema and as
 * a list of which org (by slug; the owner when not given) each repository is registered for.
 */
export const REPO_LIST_PATTERN = `^\\s*(${REPO_ENTRY}(\\s*,\\s*${REPO_ENTRY})*)?\\s*$`;
export function repoList(value: string): Array<{ org: string; fullName: string }> {
  return value
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean)
    .map((entry) => {
      // The pattern above allows one `org:` at most, and always an `owner/`.
      const [org, fullName] = entry.includes(':') ? (entry.split(':') as [string, string]) : [entry.split('/')[0]!, entry];
      return { org, fullName };
    });
}
