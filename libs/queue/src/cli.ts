import fs from 'node:fs';
import path from 'node:path';
import { readStackState, stackStateFile } from '@taskflow/devstack';
import { QUEUES, type QueueName } from '@taskflow/events';
import { ConfigError, redisSettings } from '@taskflow/platform';
import { ParkedJobs } from './parked-jobs';
import { createRedisClient } from './redis-client';

/**
 * Parked pipeline jobs (every attempt failed), for operators:
 *   npm run jobs -- list-failed [--queue <name>] [--json]
 *   npm run jobs -- retry-failed [--queue <name>]
 */

const REPO_ROOT = path.resolve(__dirname, '../../..');
const COMMANDS = ['list-failed', 'retry-failed'] as const;
type Command = (typeof COMMANDS)[number];
const QUEUE_NAMES = Object.values(QUEUES) as string[];

const USAGE = `Usage: npm run jobs -- <${COMMANDS.join('|')}> [--queue <name>] [--json]

  list-failed    jobs parked after their last attempt, per queue, with the reason
  retry-failed   move them back to waiting, each with a fresh set of attempts

  --queue <name> only this queue: ${QUEUE_NAMES.join(', ')}
  --json         list-failed prints JSON

Environment:
  REDIS_URL      Redis of the stack (default: the running local stack's, from $DATA_DIR/stack.json)
  REDIS_MODE     single (default) or cluster, as the stack's
  REDIS_CLUSTER_NODES  with REDIS_MODE=cluster: host:port,host:port (REDIS_URL then gives the password)
  QUEUE_PREFIX   prefix of the queue keys (default taskflow)`;

/** Exit codes: 0 done, 1 could not reach Redis, 2 bad usage. */
class CliExit extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

const usageError = (problem: string) => new CliExit(2, `${problem}\n\n${USAGE}`);

function parseArgs(args: string[]): { command: Command; queue?: QueueName; json: boolean } {
  const [command, ...rest] = args;
  if (!command || !(COMMANDS as readonly string[]).includes(command))
    throw usageError(command ? `Unknown command: "${command}".` : 'Missing command.');
  let queue: QueueName | undefined;
  let json = false;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (arg === '--json') json = true;
    else if (arg === '--queue') {
      const name = rest[++i];
      if (!name || !QUEUE_NAMES.includes(name)) throw usageError(`--queue needs one of: ${QUEUE_NAMES.join(', ')}.`);
      queue = name as QueueName;
    } else throw usageError(`Unknown argument: "${arg}".`);
  }
  return { command: command as Command, queue, json };
}

function redisUrl(env: NodeJS.ProcessEnv): string {
  if (env.REDIS_URL) return env.REDIS_URL;
  const dataDir = path.resolve(env.DATA_DIR || path.join(REPO_ROOT, '.data'));
  const file = stackStateFile(dataDir);
  const readJson = <T>(name: string): T | undefined => {
    try {
      return JSON.parse(fs.readFileSync(path.join(dataDir, name), 'utf8')) as T;
    } catch {
      return undefined; // No running stack: reported below.
    }
  };
  const port = readStackState(dataDir)?.redis?.port;
  if (port === undefined) throw new CliExit(1, `No Redis: set REDIS_URL, or start the local stack (npm start) so ${file} names its Redis.`);
  // The stack's private Redis requires the password it keeps in secrets.json (libs/devstack secrets.ts).
  const password = readJson<{ redisPassword?: unknown }>('secrets.json')?.redisPassword;
  if (typeof password !== 'string')
    throw new CliExit(
      1,
      `No Redis password: ${path.join(dataDir, 'secrets.json')} has none; set REDIS_URL (redis://:<password>@host:port).`,
    );
  return `redis://:${encodeURIComponent(password)}@127.0.0.1:${port}`;
}

async function main(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  if (args[0] === '--help' || args[0] === '-h') {
    console.log(USAGE);
    return 0;
  }
  const { command, queue, json } = parseArgs(args);
  const url = redisUrl(env);
  const mode = env.REDIS_MODE || 'single';
  if (mode !== 'single' && mode !== 'cluster') throw usageError(`REDIS_MODE must be single or cluster, not "${mode}".`);
  let settings;
  try {
    settings = redisSettings({ REDIS_URL: url, REDIS_MODE: mode, REDIS_CLUSTER_NODES: env.REDIS_CLUSTER_NODES });
  } catch (err) {
    throw usageError(err instanceof ConfigError ? err.message : String(err));
  }
  // On a cluster, ParkedJobs finds the queues under the hash-tagged prefix, as the server and the worker do.
  const connection = createRedisClient(settings, { maxRetriesPerRequest: 1, connectTimeout: 5000, retryStrategy: () => null });
  connection.on('error', () => undefined);
  try {
    await connection.ping().catch((err: Error) => {
      throw new CliExit(1, `Could not reach Redis at ${url}: ${err.message}`);
    });
    const parked = new ParkedJobs(connection, env.QUEUE_PREFIX || 'taskflow', queue);
    try {
      if (command === 'list-failed') {
        const jobs = await parked.list();
        if (json) console.log(JSON.stringify(jobs, null, 2));
        else {
          for (const j of jobs)
            console.log(`${j.queue}  ${j.id}  ${j.name}  attempts=${j.attemptsMade}  failed=${j.failedAt ?? '?'}  ${j.failedReason}`);
          console.log(`${jobs.length} parked job(s)`);
        }
      } else {
        const replayed = await parked.retryAll();
        for (const r of replayed) console.log(`replayed ${r.queue}  ${r.id}`);
        console.log(`${replayed.length} job(s) replayed`);
      }
    } finally {
      await parked.close();
    }
    return 0;
  } finally {
    connection.disconnect();
  }
}

main(process.argv.slice(2), process.env).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err instanceof CliExit ? err.message : err);
    process.exitCode = err instanceof CliExit ? err.code : 1;
  },
);
