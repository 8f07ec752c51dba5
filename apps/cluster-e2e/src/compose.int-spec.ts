import { describeSeparateHosts, startSeparateHosts } from './harness';

/**
 * docker-compose.yml run by a real Docker engine, as an operator runs it: the images built from
 * this clone, `up --scale server=3 --scale worker=2`, the migrate job first, HAProxy finding the
 * replicas through Docker's DNS, PostgreSQL and Redis in containers of their own, every component
 * on its own address and found by name. Clients watch through HAProxy's published port while
 * containers crash, pause, lose their network and are scaled in; nothing answered 2xx is lost or
 * applied twice. No image registry is reachable here: the base image comes from Debian's mirror
 * (infra/docker/local-base/build.sh), with the same Dockerfile and compose file users run.
 *
 * Where no Docker engine can be started, the run says so in one line and the same scenario runs with each component
 * in a Linux network namespace of its own (its own address on a bridge the test creates; `NamespaceStack`).
 */
jest.setTimeout(5 * 60_000);

describeSeparateHosts(
  (log) => startSeparateHosts({ servers: 3, workers: 2, log }),
  (line) => console.log(`separate hosts: ${line}`),
);
