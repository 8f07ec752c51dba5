import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import readline from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { prettyPrinter } from '@taskflow/platform';

export interface AppOutputOptions {
  /** Where `<name>.log` (and its rotated `<name>.log.1` … `.N`) go. */
  logsDir: string;
  /** The stack's own terminal (or pipe). */
  stdout?: Writable;
  stderr?: Writable;
  /** Print JSON log lines as readable ones (pino-pretty), as the apps themselves do on a terminal. */
  pretty?: boolean;
  /** Size at which a log file is rotated (rotating-file-stream units: `10M`, `1K`…), and how many rotated files are kept. */
  rotateSize?: string;
  keep?: number;
}

type Rfs = typeof import('rotating-file-stream', { with: { 'resolution-mode': 'import' } });
type RotatingFileStream = ReturnType<Rfs['createStream']>;

const LOG_ROTATE_SIZE = '10M';
const LOG_FILES_KEPT = 3;

/**
 * Relays each app process's output to the stack's terminal, as it was printed, and tees
 * it into `<logsDir>/<name>.log` (server-1.log, worker-1.log…): JSON lines as the app wrote
 * them, plus anything else it printed (a crash's stack trace). One file per slot, kept
 * across restarts of the slot, rotated by size with a few old files kept.
 */
export class AppOutput {
  private readonly files = new Map<string, RotatingFileStream>();
  private readonly pending = new Set<Promise<unknown>>();
  private readonly pretty?: (line: string) => string;

  private constructor(
    private readonly opts: AppOutputOptions,
    private readonly rfs: Rfs,
  ) {
    if (opts.pretty) this.pretty = prettyPrinter();
  }

  static async create(opts: AppOutputOptions): Promise<AppOutput> {
    // An ES module (with a CommonJS build that TypeScript does not pick for this CommonJS file).
    return new AppOutput(opts, await import('rotating-file-stream'));
  }

  /** Starts relaying a just-spawned child's stdout and stderr (spawned with `pipe` for both). */
  attach(name: string, child: ChildProcess): void {
    const file = this.file(name);
    this.relay(child.stdout, file, this.opts.stdout ?? process.stdout);
    this.relay(child.stderr, file, this.opts.stderr ?? process.stderr);
  }

  /** Waits (up to `timeoutMs`) for the attached children's last lines, then closes the files. */
  async close(timeoutMs = 5000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(this.pending), new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
    await Promise.all(
      [...this.files.values()].map(async (f) => {
        f.end();
        await once(f, 'finish').catch(() => undefined);
      }),
    );
    this.files.clear();
  }

  private file(name: string): RotatingFileStream {
    let file = this.files.get(name);
    if (!file) {
      // Classic logrotate naming: name.log, then name.log.1 (newest) … name.log.N.
      file = this.rfs.createStream((index: number | Date | null) => (index ? `${name}.log.${Number(index)}` : `${name}.log`), {
        path: this.opts.logsDir,
        size: this.opts.rotateSize ?? LOG_ROTATE_SIZE,
        rotate: this.opts.keep ?? LOG_FILES_KEPT,
      });
      // A full disk or a removed directory must not take the stack down: the terminal still gets the lines.
      file.on('error', () => undefined);
      this.files.set(name, file);
    }
    return file;
  }

  private relay(input: Readable | null, file: Writable, terminal: Writable): void {
    if (!input) return;
    const lines = readline.createInterface({ input, crlfDelay: Infinity });
    lines.on('line', (line) => {
      if (file.writable) file.write(`${line}\n`);
      terminal.write(this.pretty ? this.pretty(line) : `${line}\n`);
    });
    const done = once(lines, 'close');
    this.pending.add(done);
    void done.then(() => this.pending.delete(done));
  }
}
