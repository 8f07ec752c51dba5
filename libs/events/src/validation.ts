import type { Static, TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
// Registers the string formats (uuid, date-time, …) before anything is compiled.
import './formats';

export interface ValidationIssue {
  path: string;
  message: string;
}
export type Validation<T> = { ok: true; value: T } | { ok: false; issues: ValidationIssue[] };

const compiled = new WeakMap<TSchema, TypeCheck<TSchema>>();

/** Validates `value` against `schema` (compiled once and cached), listing every problem. */
export function validate<S extends TSchema>(schema: S, value: unknown): Validation<Static<S>> {
  let check = compiled.get(schema);
  if (!check) {
    check = TypeCompiler.Compile(schema);
    compiled.set(schema, check);
  }
  if (check.Check(value)) return { ok: true, value: value as Static<S> };
  const issues = [...check.Errors(value)].slice(0, 20).map((e) => ({ path: e.path || '/', message: e.message }));
  return { ok: false, issues };
}
