import type { ScenarioContext } from './context';

/** One node's socket count and the counters asked for, as its metrics listener answers them. */
interface NodeCounts {
  sockets: number;
  counters: Record<string, number>;
}

/** Every node's reading at one moment (stamped when the reading started: the counters are read then). */
export interface NodeReading {
  atMs: number;
  nodes: Record<string, NodeCounts>;
}

async function readNode(metricsPort: number, counters: readonly string[]): Promise<NodeCounts> {
  const [health, metrics] = await Promise.all([
    fetch(`http://127.0.0.1:${metricsPort}/health`, { signal: AbortSignal.timeout(2000) }).then(
      (r) => r.json() as Promise<{ websocket?: { connectedSockets?: number } }>,
    ),
    fetch(`http://127.0.0.1:${metricsPort}/metrics`, { signal: AbortSignal.timeout(2000) }).then((r) => r.text()),
  ]);
  return {
    sockets: health.websocket?.connectedSockets ?? 0,
    counters: Object.fromEntries(counters.map((c) => [c, Number(new RegExp(`^${c} (\\d+)`, 'm').exec(metrics)?.[1] ?? 0)])),
  };
}

/**
 * Reads every node of the harness's cluster each `everyMs` (a node down or starting is left out of that reading) until
 * stopped; a reading still under way when the next is due is not doubled.
 */
export function sampleNodes(ctx: ScenarioContext, counters: readonly string[], everyMs: number): { readings: NodeReading[]; stop(): void } {
  const readings: NodeReading[] = [];
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    const atMs = Date.now();
    let state: ReturnType<NonNullable<ScenarioContext['cluster']>['state']>;
    try {
      state = ctx.cluster!.state();
    } catch {
      // stack.json is rewritten while nodes restart (a rolling restart): no reading this time.
      return;
    }
    busy = true;
    const nodes = state.nodes.filter((n) => n.metricsPort && n.state === 'ready');
    void Promise.all(
      nodes.map((n) =>
        readNode(n.metricsPort!, counters).then(
          (c) => [n.name, c] as const,
          () => undefined,
        ),
      ),
    )
      .then((read) => readings.push({ atMs, nodes: Object.fromEntries(read.filter((r) => r !== undefined)) }))
      .finally(() => (busy = false));
  }, everyMs);
  return { readings, stop: () => clearInterval(timer) };
}
