import { TASK_STATUSES } from '@taskflow/events';
import { LEGEND, STATUS_COLOURS } from './status-style';

describe('status legend', () => {
  it('has one entry per status of the shared status machine', () => {
    expect(LEGEND.map((l) => l.status)).toEqual([...TASK_STATUSES]);
  });

  it('gives received and analyzing one colour and each key status its own', () => {
    expect(STATUS_COLOURS.analyzing).toBe(STATUS_COLOURS.received);
    expect(STATUS_COLOURS.merged).not.toBe(STATUS_COLOURS.failed);
    expect(
      new Set([STATUS_COLOURS.needs_clarification, STATUS_COLOURS.dispatched, STATUS_COLOURS.merged, STATUS_COLOURS.failed]).size,
    ).toBe(4);
  });
});
