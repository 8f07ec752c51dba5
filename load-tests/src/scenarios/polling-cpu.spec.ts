import type { Measurement } from '../measure/phase';
import { compareCpu, pollingCpu, SERVER_COMPONENTS } from './polling-cpu';
import type { DriveStats, PhaseResult } from './product-phase';

const phase = (durationS: number, cpu: Record<string, number>) =>
  ({ durationS, cpuSecondsByComponent: cpu, healthCheckFailures: 0 }) as unknown as Measurement;
const clean: DriveStats = { tasks: 30, createErrors: 0, webhookErrors: 0, notMerged: 0, transitionsPerSec: 5, errorSamples: [] };
const run = (product: Measurement, drive: Partial<DriveStats> = {}): PhaseResult => ({ product, drive: { ...clean, ...drive } });

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
    const cpu = pollingCpu({ live: run(live), polling: run(phase(10, { nodes: 3 })), pipelineOnly: run(phase(10, { nodes: 1.2 })) });
    expect(cpu.notes.join('\n')).toContain('within noise');
    expect(cpu.comparable).toBe(true);
  });

  it('says the sides are not comparable when one did less of the pipeline or lost a node to its health checks', () => {
    const m = phase(10, { nodes: 1 });
    const overloaded = { ...m, healthCheckFailures: 3 } as Measurement;
    const cpu = pollingCpu({ live: run(m), pipelineOnly: run(m), polling: run(overloaded, { tasks: 20, createErrors: 10, notMerged: 8 }) });
    expect(cpu.comparable).toBe(false);
    expect(cpu.problems).toEqual([
      'tasks created differ between phases (live 30, pipelineOnly 30, polling 20)',
      'polling: 10 failed creates, 8 tasks not merged, HAProxy marked a node DOWN 3 times',
    ]);
    expect(cpu.notes.join('\n')).toContain('**Not comparable**');
  });
});
