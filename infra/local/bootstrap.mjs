#!/usr/bin/env node
// First step of every `npm run` script that needs the dependencies, on a fresh machine. Plain
// Node, no dependencies: checks Node, installs npm dependencies when missing or stale, then
//  - start, dev, cluster, services, test: makes sure redis-server exists when no REDIS_URL is
//    given (installing Debian's package as root), and HAProxy/Chromium where needed, then hands
//    over to the TypeScript stack CLI (libs/devstack/src/cli.ts), forwarding Ctrl-C / SIGTERM;
//  - run <entry.ts> [args]: runs that TypeScript tool of the repo (simulate, jobs, bench…) with its
//    arguments, exit code and signals. Nothing of ours goes to stdout then (tools print JSON there);
//  - nx [args]: runs the workspace's Nx (lint, typecheck, build, test:unit) the same way.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const command = process.argv[2] ?? 'start';
// A tool's stdout is its output (parsed in --json modes): our lines and npm's go to stderr then.
const tool = command === 'run' || command === 'nx';
const say = (line) => (tool ? process.stderr : process.stdout).write(`[bootstrap] ${line}\n`);
const fail = (line) => {
  process.stderr.write(`[bootstrap] ${line}\n`);
  process.exit(1);
};

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) fail(`Node.js >= 20.19 is required (found ${process.versions.node}).`);

function dependenciesStale() {
  const installed = path.join(root, 'node_modules/.package-lock.json');
  if (!fs.existsSync(installed)) return true;
  return fs.statSync(path.join(root, 'package-lock.json')).mtimeMs > fs.statSync(installed).mtimeMs;
}

if (dependenciesStale()) {
  say('installing npm dependencies (npm ci)…');
  const res = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: ['inherit', tool ? 2 : 1, 2] });
  if (res.status !== 0) fail('npm ci failed; see the output above.');
}

if (command === 'run') await runTool(process.argv[3], process.argv.slice(4));
if (command === 'nx') await runToolProcess('nx', path.join(root, 'node_modules/.bin/nx'), process.argv.slice(3));

/** `run <entry.ts> [args]`: the tool with the workspace packages resolved to their sources; ends this process with its outcome. */
async function runTool(entry, args) {
  const file = entry && path.resolve(root, entry);
  if (!file || !file.startsWith(root + path.sep) || !/\.ts$/.test(file) || !fs.existsSync(file))
    fail(`run needs a TypeScript entry point of this repository (got ${entry ? `"${entry}"` : 'nothing'}).`);
  // tsx by its absolute URL: the tool may be started from any directory.
  await runToolProcess(entry, process.execPath, ['--conditions=taskflow-source', '--import', import.meta.resolve('tsx'), file, ...args]);
}

/** Runs a tool in the foreground and ends this process with its outcome (exit code, or the same signal). */
async function runToolProcess(entry, bin, args) {
  const tool = spawn(bin, args, { cwd: command === 'nx' ? root : undefined, stdio: 'inherit' });
  // A Ctrl-C in the terminal reaches the tool too; a signal sent to this process alone is passed on.
  const forward = (signal) => tool.kill(signal);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, forward);
  tool.on('error', (err) => fail(`could not start ${entry}: ${err.message}`));
  tool.on('exit', (code, signal) => {
    if (code !== null) process.exit(code);
    // Ended by a signal: end the same way, so the shell sees what the tool's own process would have shown.
    for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.off(s, forward);
    process.kill(process.pid, signal);
    setTimeout(() => process.exit(128 + (os.constants.signals[signal] ?? 0)), 1000);
  });
  // Nothing below applies to a tool (no services, no stack CLI): wait here until the tool's exit ends this process.
  await new Promise(() => undefined);
}

function onPath(bin) {
  return spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' }).status === 0;
}

/**
 * Installs a Debian package when its binary is missing: as root through apt-get, otherwise stop with the command to
 * run. An `optional` one only warns: the tests that need it say themselves why they cannot run.
 */
function ensureDebianPackage(bin, pkg, alternative, { optional = false } = {}) {
  if (onPath(bin)) return;
  const stop = optional ? (line) => say(`${line} (continuing without it)`) : fail;
  if (process.getuid?.() === 0 && onPath('apt-get')) {
    say(`${bin} is missing: installing Debian's ${pkg} package…`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    try {
      if (!aptUpdated) execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
      aptUpdated = true;
      execFileSync('apt-get', ['install', '-y', '-qq', pkg], { stdio: 'inherit', env });
      return;
    } catch {
      return stop(`Installing ${pkg} failed. Install it (apt-get install ${pkg})${alternative ? ` or ${alternative}` : ''}.`);
    }
  }
  stop(`${bin} is not installed: run \`sudo apt-get install ${pkg}\`${alternative ? `, or ${alternative}` : ''}.`);
}
let aptUpdated = false;

const redisUrl = command === 'test' ? process.env.TEST_REDIS_URL : process.env.REDIS_URL;
if (!redisUrl) ensureDebianPackage('redis-server', 'redis-server', 'set REDIS_URL to a Redis server');
// The cluster runs behind HAProxy, and so do the cluster tests.
if (command === 'cluster' || command === 'test') ensureDebianPackage('haproxy', 'haproxy');
// A test of TLS at HAProxy makes its own self-signed certificate.
if (command === 'test') ensureDebianPackage('openssl', 'openssl');
// Browser tests drive Debian's Chromium through playwright-core (no browser download).
if (command === 'test' && !process.env.CHROMIUM_PATH) ensureDebianPackage('chromium', 'chromium', 'set CHROMIUM_PATH to a Chromium binary');
// The compose test runs docker-compose.yml on a Docker engine of its own, on a base image built by debootstrap.
if (command === 'test') {
  ensureDebianPackage('dockerd', 'docker.io', undefined, { optional: true });
  ensureDebianPackage('docker-compose', 'docker-compose', undefined, { optional: true });
  ensureDebianPackage('debootstrap', 'debootstrap', undefined, { optional: true });
}

const child = spawn(
  process.execPath,
  ['--conditions=taskflow-source', '--import', 'tsx', path.join(root, 'libs/devstack/src/cli.ts'), command, ...process.argv.slice(3)],
  // The IPC channel closes when this process dies, however it dies: the CLI then stops the stack.
  { cwd: root, stdio: ['inherit', 'inherit', 'inherit', 'ipc'] },
);
// The CLI does the orderly shutdown; this process only passes the signal on.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
process.on('SIGHUP', () => child.kill('SIGTERM'));
// `npm start` runs us under `sh -c`; a SIGTERM to npm may end that shell without reaching us.
// When our parent goes away, stop too, so the stack never outlives the command that started it.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) child.kill('SIGTERM');
}, 500).unref();
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
