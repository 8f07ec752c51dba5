import fs from 'node:fs';
import path from 'node:path';
import { freePort } from './net';
import { ensureDatabase, startPostgres, type PostgresHandle } from './postgres';
import { startRedis, type RedisHandle, type RedisOptions } from './redis';
import { startRedisCluster, type RedisClusterHandle } from './redis-cluster';

export interface Services {
  /** URL of the application database. */
  databaseUrl: string;
  /** Superuser URL of the maintenance database (tests create databases through it). */
  adminDatabaseUrl?: string;
  redisUrl: string;
  /** With a private Redis Cluster (`redisMode: 'cluster'`): its nodes, `host:port,…` (REDIS_CLUSTER_NODES). */
  redisClusterNodes?: string;
  embeddedPostgres?: PostgresHandle;
  embeddedRedis?: RedisHandle;
  embeddedRedisCluster?: RedisClusterHandle;
  stop(): Promise<void>;
}

export interface ServicesOptions {
  dataDir: string;
  databaseUrl?: string;
  redisUrl?: string;
  pgPassword: string;
  /** The private redis-server's password (every client sends it); random when not given. */
  redisPassword?: string;
  database?: string;
  /** `cluster`: a private Redis Cluster (3 masters + 3 replicas) instead of one redis-server, when `redisUrl` is unset. */
  redisMode?: 'single' | 'cluster';
  fast?: boolean;
  log?: (line: string) => void;
  /** Restart the private redis-server when it dies (the stack's own; tests and `npm run services` leave it). */
  keepRedis?: RedisOptions['keep'];
}

/**
 * PostgreSQL and Redis for the stack: the given URLs when set, otherwise an
 * embedded PostgreSQL and a private redis-server with data under `dataDir`.
 */
export async function startServices(opts: ServicesOptions): Promise<Services> {
  const log = opts.log ?? (() => undefined);
  const logDir = path.join(opts.dataDir, 'logs');
  fs.mkdirSync(logDir, { recursive: true });
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s();
  };
  try {
    let databaseUrl = opts.databaseUrl;
    let adminDatabaseUrl: string | undefined;
    let embeddedPostgres: PostgresHandle | undefined;
    if (!databaseUrl) {
      const port = await freePort();
      embeddedPostgres = await startPostgres({
        log,
        dataDir: path.join(opts.dataDir, 'postgres'),
        port,
        password: opts.pgPassword,
        logFile: path.join(logDir, 'postgres.log'),
        fast: opts.fast,
      });
      stops.push(embeddedPostgres.stop);
      log(`embedded PostgreSQL on 127.0.0.1:${port} (data: ${embeddedPostgres.dataDir})`);
      const database = opts.database ?? 'taskflow';
      await ensureDatabase(embeddedPostgres.adminUrl, database);
      databaseUrl = embeddedPostgres.url(database);
      adminDatabaseUrl = embeddedPostgres.adminUrl;
    }
    let redisUrl = opts.redisUrl;
    let embeddedRedis: RedisHandle | undefined;
    let embeddedRedisCluster: RedisClusterHandle | undefined;
    if (!redisUrl && opts.redisMode === 'cluster') {
      // Created afresh each time: its nodes.conf would name the ports of the last run.
      const dataDir = path.join(opts.dataDir, 'redis-cluster');
      fs.rmSync(dataDir, { recursive: true, force: true });
      log(`starting a private Redis Cluster (3 masters + 3 replicas) on 127.0.0.1 (data: ${dataDir})`);
      embeddedRedisCluster = await startRedisCluster({ dataDir, password: opts.redisPassword, fast: opts.fast });
      stops.push(embeddedRedisCluster.stop);
      log(`Redis Cluster nodes: ${embeddedRedisCluster.nodeList}`);
      redisUrl = `redis://:${encodeURIComponent(embeddedRedisCluster.password)}@${embeddedRedisCluster.nodeList.split(',')[0]}`;
    }
    if (!redisUrl) {
      const port = await freePort();
      log(`starting private redis-server on 127.0.0.1:${port} (data: ${path.join(opts.dataDir, 'redis')})`);
      embeddedRedis = await startRedis({
        dataDir: path.join(opts.dataDir, 'redis'),
        port,
        logFile: path.join(logDir, 'redis.log'),
        password: opts.redisPassword,
        fast: opts.fast,
        keep: opts.keepRedis,
      });
      stops.push(embeddedRedis.stop);
      redisUrl = embeddedRedis.url;
    }
    return {
      databaseUrl,
      adminDatabaseUrl,
      redisUrl,
      redisClusterNodes: embeddedRedisCluster?.nodeList,
      embeddedPostgres,
      embeddedRedis,
      embeddedRedisCluster,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
