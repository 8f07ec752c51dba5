import type { TSchema } from '@sinclair/typebox';
import { PublicTaskSchema, TASK_DATE_FIELDS, webhookReceivedAtOf } from './task.schema';

/** A property is a date when it is an ISO date-time string, nullable or not. */
const isDate = (schema: TSchema): boolean =>
  schema.format === 'date-time' || (Array.isArray(schema.anyOf) && (schema.anyOf as TSchema[]).some(isDate));

describe('the task shape', () => {
  it('lists every date-time property of PublicTaskSchema as a date field (a `Date` in TaskSource and in the store), and nothing else', () => {
    const dates = Object.entries(PublicTaskSchema.properties as Record<string, TSchema>)
      .filter(([, schema]) => isDate(schema))
      .map(([name]) => name);
    expect([...TASK_DATE_FIELDS].sort()).toEqual(dates.sort());
  });
});

describe('webhookReceivedAtOf', () => {
  it('reads when the API received the delivery behind an event, and nothing from any other event', () => {
    expect(webhookReceivedAtOf({ detail: { actorKind: 'github', webhookReceivedAt: '2026-01-01T00:00:09.400Z' } })).toBe(
      Date.parse('2026-01-01T00:00:09.400Z'),
    );
    for (const payload of [
      undefined,
      {},
      { detail: { actorKind: 'user' } },
      { detail: { webhookReceivedAt: 'not a date' } },
      { detail: { webhookReceivedAt: 5 } },
    ])
      expect(webhookReceivedAtOf(payload)).toBeUndefined();
  });
});
