import type { Measurement } from '../measure/phase';
import { compareCpu, pollingCpu, SERVER_COMPONENTS } from './polling-cpu';

const phase = (durationS: number, cpu: Record<string, number>) => ({ durationS, cpuSecondsByComponent: cpu }) as unknown as Measurement;

describe('compareCpu', () => {
  it('subtracts the pipeline-only CPU-seconds from each side and divides by that side’s own window', () => {
    const live = phase(10, { nodes: 2, haproxy: 1, postgres: 1, workers: 5, generator: 9 });
    const polling = phase(20, { nodes: 8, haproxy: 4, postgres: 6, workers: 5 });
    const pipeline = phase(10, { nodes: 1.5, haproxy: 0.5, postgres: 1 });
    const c = compareCpu(live, polling, pipeline, SERVER_COMPONENTS);
    expect(c.live).toEqual({ cpuS: 4, windowS: 10, perSec: 0.4 });
    expect(c.polling).toEqual({ cpuS: 18, windowS: 20, perSec: 0.9 });
    expect(c.netLive).toEqual({ cpuS: 1, perSec: 0.1 });
    expect(c.netPolling).toEqual({ cpuS: 15, perSec: 0.75 });
    expect(c.ratios).toEqual({ raw: 2.25, net: 7.5 });
  });

  it('gives no net ratio when the live side costs no more than the pipeline alone (noise), and says so', () => {
    const live = phase(10, { nodes: 1 });
    const c = compareCpu(live, phase(10, { nodes: 3 }), phase(10, { nodes: 1.2 }), ['nodes']);
    expect(c.netLive.cpuS).toBe(-0.2);
    expect(c.ratios.net).toBeNull();
    expect(pollingCpu(live, phase(10, { nodes: 3 }), phase(10, { nodes: 1.2 })).notes.join('\n')).toContain('within noise');
  });
});
