import { Histogram, Registry } from 'prom-client';
import { SHOWN_WITHIN_MS, WebhookScreenTimer } from './webhook-screen';

function setUp() {
  let clock = 1_000_000;
  const histogram = new Histogram({ name: 'h', help: 'h', buckets: [0.1, 0.5, 1, 5], registers: [new Registry()] });
  const timer = new WebhookScreenTimer(histogram, () => clock);
  const observed = async () => {
    const values = (await histogram.get()).values;
    return { count: values.find((v) => v.metricName === 'h_count')?.value, sum: values.find((v) => v.metricName === 'h_sum')?.value };
  };
  return { timer, observed, advance: (ms: number) => (clock += ms), now: () => clock };
}

describe('WebhookScreenTimer', () => {
  it('times a reported event from when its webhook reached the API to the report, on the node’s clock', async () => {
    const { timer, observed, advance, now } = setUp();
    timer.delivered('t1', 4, now() - 150);
    advance(250);
    expect(timer.shown({}, 't1', 4)).toBe(true);
    expect(await observed()).toEqual({ count: 1, sum: 0.4 });
  });

  it('counts an event once per socket, and once for each socket that shows it', async () => {
    const { timer, observed, now } = setUp();
    timer.delivered('t1', 4, now() - 100);
    const socketA = {};
    expect(timer.shown(socketA, 't1', 4)).toBe(true);
    expect(timer.shown(socketA, 't1', 4)).toBe(false);
    expect(timer.shown({}, 't1', 4)).toBe(true);
    expect((await observed()).count).toBe(2);
  });

  it('does not count an event it did not deliver, another task’s, or one older than a minute', async () => {
    const { timer, observed, advance, now } = setUp();
    timer.delivered('t1', 4, now());
    expect(timer.shown({}, 't1', 5)).toBe(false);
    expect(timer.shown({}, 't2', 4)).toBe(false);
    advance(SHOWN_WITHIN_MS + 1);
    expect(timer.shown({}, 't1', 4)).toBe(false);
    expect((await observed()).count).toBe(0);
  });

  it('forgets the oldest events past the ones it keeps, and a socket’s oldest reports past its own bound', () => {
    const { timer, now } = setUp();
    for (let seq = 1; seq <= 5001; seq++) timer.delivered('t1', seq, now());
    expect(timer.shown({}, 't1', 1)).toBe(false);
    expect(timer.shown({}, 't1', 2)).toBe(true);
    const socket = {};
    for (let seq = 100; seq < 200; seq++) expect(timer.shown(socket, 't1', seq)).toBe(true);
    // It keeps its last 64 reports: the newest is still a repeat, the 64th newest too, the 65th forgotten.
    expect(timer.shown(socket, 't1', 199)).toBe(false);
    expect(timer.shown(socket, 't1', 136)).toBe(false);
    expect(timer.shown(socket, 't1', 135)).toBe(true);
  });
});
