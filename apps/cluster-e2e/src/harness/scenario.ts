import type { ClusterProcess, Role } from './cluster';
import { recordMeasurements } from './report';
import type { StackAccess } from './stack-access';
import { DeliveryLedger, TaskAuthor, untilStatus } from './traffic';
import type { Watchers } from './watchers';

/**
 * The stack a fault case runs on. The local cluster (`npm run cluster`) also knows its processes, so
 * that a case checks who survived, and reads BullMQ's parked jobs; containers are checked by their test.
 */
export interface FaultStack extends StackAccess {
  processes?(): ClusterProcess[];
  survivors?(before: ClusterProcess[], killed?: Array<{ role: Role; name: string }>): string[];
  failedJobs?(): Promise<unknown>;
}

export interface FaultScenario {
  name: string;
  /** Runs the fault; resolves once the faulty part is back (or, for a kill, once it was killed). */
  fault: () => Promise<void>;
  /** Processes the fault kills on purpose: they must come back (same name, new pid); every other one must keep its pid. */
  killed?: Array<{ role: Role; name: string }>;
  /** Dispatched tasks prepared beforehand, each moved by one GitHub delivery sent during the fault. */
  deliveries: number;
  /** Tasks created during the fault. */
  creations: number;
  /** The traffic is spread over this long from the start of the fault. */
  spreadMs: number;
  /** Waited for after the fault before the traffic is checked (e.g. a killed process coming back). */
  afterFault?: () => Promise<Record<string, number>>;
}

export interface FaultOutcome {
  numbers: Record<string, unknown>;
  /** One line with the numbers, for the test output. */
  report: string;
  notDispatched: string[];
  notApplied: string[];
  convergeError?: string;
  integrity: string[];
  survivors: string[];
  firstAnswers: Record<string, number>;
}

/**
 * The common shape of a fault case: tasks ready to be moved, clients watching,
 * then the fault with GitHub deliveries and task creations arriving during it;
 * afterwards GitHub's Redeliver for every delivery not answered 2xx, and the
 * committed state compared with every client's. Everything measured is
 * recorded before anything is asserted, so a failing run still reports.
 */
export async function runFault(suite: { cluster: FaultStack; watchers: Watchers }, s: FaultScenario): Promise<FaultOutcome> {
  const { cluster, watchers } = suite;
  const author = await TaskAuthor.as(cluster);
  const prepared: string[] = [];
  for (let i = 0; i < s.deliveries; i++) {
    const id = await author.create(i);
    if (!id) throw new Error(`could not create task ${i} before the fault (answer ${author.attempts.at(-1)?.answer})`);
    prepared.push(id);
  }
  const unready = await untilStatus(cluster, prepared, ['dispatched'], 60_000);
  if (unready.length) throw new Error(`tasks not dispatched before the fault: ${unready.join(', ')}`);
  watchers.watch(prepared);
  await watchers.converge(prepared, 30_000);
  const createdBefore = author.attempts.length;

  const before: ClusterProcess[] = cluster.processes?.() ?? [];
  const ledger = new DeliveryLedger(cluster);
  const faultStarted = Date.now();
  const fault = s.fault();
  const steps = Math.max(s.deliveries, s.creations);
  const traffic: Array<Promise<unknown>> = [];
  for (let i = 0; i < steps; i++) {
    await new Promise((r) => setTimeout(r, s.spreadMs / steps));
    if (i < s.deliveries) traffic.push(ledger.moveTask(prepared[i]!, i));
    if (i < s.creations) traffic.push(author.create(1000 + i));
  }
  await fault;
  const faultOver = Date.now();
  const afterFault = (await s.afterFault?.()) ?? {};
  await Promise.all(traffic);
  const firstAnswers: Record<string, number> = {};
  for (const d of ledger.deliveries) firstAnswers[String(d.answers[0])] = (firstAnswers[String(d.answers[0])] ?? 0) + 1;
  const creationAnswers: Record<string, number> = {};
  for (const a of author.attempts.slice(createdBefore)) creationAnswers[String(a.answer)] = (creationAnswers[String(a.answer)] ?? 0) + 1;

  let redelivered = 0;
  let redeliverError: string | undefined;
  try {
    redelivered = await ledger.redeliverUntilAccepted(30_000);
  } catch (err) {
    redeliverError = (err as Error).message;
  }
  const created = author.accepted.filter((id) => !prepared.includes(id));
  watchers.watch(created);
  const notDispatched = await untilStatus(cluster, created, ['dispatched'], 60_000);
  const all = [...prepared, ...created];
  // A delivery whose job is backing off (its first tries met the outage) is applied at its next retry,
  // up to JOB_BACKOFF_MAX_MS later: "applied" is eventually, within a bound.
  let notApplied = await ledger.notApplied();
  for (const deadline = Date.now() + 20_000; notApplied.length > 0 && Date.now() < deadline; notApplied = await ledger.notApplied()) {
    await new Promise((r) => setTimeout(r, 250));
  }
  let convergedMs: number | undefined;
  let convergeError: string | undefined;
  try {
    await watchers.converge(all, 45_000);
    convergedMs = Date.now() - faultOver;
  } catch (err) {
    convergeError = (err as Error).message;
  }
  const integrity = await watchers.integrity(all);
  const survivors = cluster.survivors?.(before, s.killed) ?? [];
  const numbers = {
    faultMs: faultOver - faultStarted,
    convergedMsAfterFault: convergedMs ?? 'not converged',
    deliveries: ledger.deliveries.length,
    deliveriesFirstAnswers: firstAnswers,
    deliveriesRedelivered: redelivered,
    tasksCreatedDuringFault: created.length,
    creationAnswers,
    jobsParked: (await cluster.failedJobs?.().catch(() => undefined)) ?? 'unknown',
    clients: watchers.stats(),
    ...afterFault,
  };
  const report = recordMeasurements(s.name, numbers);
  return {
    numbers,
    report,
    notDispatched,
    notApplied: redeliverError ? [redeliverError, ...notApplied] : notApplied,
    convergeError,
    integrity,
    survivors,
    firstAnswers,
  };
}

/** The assertions every fault case shares, one expectation each so that a failure says which promise broke. */
export function expectHeld(o: FaultOutcome): void {
  // A 202 for a task creation means it is analysed and dispatched, outage or not.
  expect(o.notDispatched).toEqual([]);
  // Every delivery answered 2xx (first time or on Redeliver) is applied, exactly once.
  expect(o.notApplied).toEqual([]);
  // Every client (WebSocket and polling, dashboard and task rooms) holds the committed seq and status.
  expect(o.convergeError).toBeUndefined();
  // …having applied 1..seq of each task, nothing missing, nothing twice.
  expect(o.integrity).toEqual([]);
  // No process exited but the one killed, which came back.
  expect(o.survivors).toEqual([]);
}
