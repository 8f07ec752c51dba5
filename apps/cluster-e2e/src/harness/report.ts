import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Where the measured numbers of the last run are kept, one JSON file per case. */
const RESULTS_DIR = path.join(os.tmpdir(), 'taskflow-faults');

/** Keeps one case's measurements (time to converge, redeliveries, parked jobs…) and answers the line to print. */
export function recordMeasurements(name: string, numbers: Record<string, unknown>): string {
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  fs.writeFileSync(
    path.join(RESULTS_DIR, `${name}.json`),
    JSON.stringify({ case: name, at: new Date().toISOString(), ...numbers }, null, 2),
  );
  return `[faults] ${name}: ${JSON.stringify(numbers)}`;
}
