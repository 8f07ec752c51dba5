import { describeSeparateHosts, NamespaceStack } from './harness';

/**
 * The compose scenario (compose.int-spec.ts) with each component in a Linux network namespace of its own: PostgreSQL,
 * Redis, the migrate job, 3 servers, 2 workers and HAProxy, each its own address on a bridge this test creates and
 * removes, finding each other by name. It is the path compose.int-spec takes where no Docker engine can be started;
 * run on every machine too, it keeps that path working and catches anything that assumes "everything is local"
 * within a minute, without building images.
 */
jest.setTimeout(5 * 60_000);

describeSeparateHosts(
  (log) => NamespaceStack.start({ servers: 3, workers: 2, log }),
  (line) => console.log(`separate hosts: ${line}`),
);
