import { onStopSignals } from '../shutdown';

/** Reports what each signal it receives does: the first stops (slowly), a later one forces. */
onStopSignals(
  (reason) => process.stdout.write(`stop ${reason}\n`),
  (signal) => {
    process.stdout.write(`force ${signal}\n`);
    process.exit(130);
  },
);
process.stdout.write('ready\n');
setTimeout(() => process.exit(0), 10_000);
