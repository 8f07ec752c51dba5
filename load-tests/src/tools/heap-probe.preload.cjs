/* global process, global, setImmediate, URL, require */
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS preload (`node --require`) */
/**
 * Preload (`--require`) for heap-per-socket.ts: a tiny HTTP listener on 127.0.0.1:HEAP_PROBE_PORT inside the
 * measured process. GET /memory answers process.memoryUsage() as it is; GET /heap collects garbage first (the
 * process runs with --expose-gc) and adds its active timers and handles; GET /gc-start and /gc-stop sum what the
 * collector freed in between; GET /snapshot?file=PATH writes a V8
 * heap snapshot there. Test tooling only: nothing loads it otherwise.
 */
'use strict';
const http = require('node:http');
const v8 = require('node:v8');

const port = Number(process.env.HEAP_PROBE_PORT);
// Set instead for a whole stack (NODE_OPTIONS reaches every Node process of it): each listens on a free port
// and writes it to `<HEAP_PROBE_DIR>/<pid>.port`.
const dir = process.env.HEAP_PROBE_DIR;

/** Several full collections, with turns of the event loop between them so weak callbacks and finalizers run. */
async function collect() {
  if (typeof global.gc !== 'function') throw new Error('run with --expose-gc');
  for (let i = 0; i < 4; i++) {
    global.gc();
    await new Promise((r) => setImmediate(r));
  }
}

/** Active handles and requests by type (a `Timeout` per pending timer): per-socket timers show up here. */
function countResources() {
  const counts = {};
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] || 0) + 1;
  return counts;
}

/** Bytes V8 holds per heap space (`new_space`, `old_space`…), used or not: what RSS sees of the heap. */
function spaceSizes() {
  const sizes = {};
  for (const space of v8.getHeapSpaceStatistics()) sizes[space.space_name] = space.space_size;
  return sizes;
}

let profiler;
let session;
const post = (method, params) =>
  new Promise((resolve, reject) => session.post(method, params, (err, res) => (err ? reject(err) : resolve(res))));

/** Bytes allocated per function (self), from a sampling heap profile: `name file:line`. */
function topAllocators(profile, n) {
  const bytes = new Map();
  const walk = (node) => {
    const self = node.selfSize;
    if (self > 0) {
      const f = node.callFrame;
      const key = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(apps|libs)\//, '$1/')}:${f.lineNumber + 1}`;
      bytes.set(key, (bytes.get(key) || 0) + self);
    }
    for (const child of node.children) walk(child);
  };
  walk(profile.head);
  return [...bytes].sort((a, b) => b[1] - a[1]).slice(0, n);
}

async function answer(req) {
  const url = new URL(req.url, 'http://probe');
  // As an outside sampler sees it: no collection first.
  if (url.pathname === '/memory') return { ...process.memoryUsage(), spaces: spaceSizes() };
  // Bytes the collector freed between start and stop (what the process allocated and dropped meanwhile).
  if (url.pathname === '/gc-start') {
    profiler?.stop();
    profiler = new v8.GCProfiler();
    profiler.start();
    return { started: true };
  }
  if (url.pathname === '/gc-stop') {
    const stats = profiler ? profiler.stop().statistics : [];
    profiler = undefined;
    let freedBytes = 0;
    for (const gc of stats) freedBytes += Math.max(0, gc.beforeGC.heapStatistics.usedHeapSize - gc.afterGC.heapStatistics.usedHeapSize);
    return { collections: stats.length, freedBytes };
  }
  // Sampled allocations, collected ones included, by allocating function (GET /alloc-stop?top=N).
  if (url.pathname === '/alloc-start') {
    session = new (require('node:inspector').Session)();
    session.connect();
    await post('HeapProfiler.enable');
    await post('HeapProfiler.startSampling', {
      samplingInterval: 4096,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
    return { started: true };
  }
  if (url.pathname === '/alloc-stop') {
    const { profile } = await post('HeapProfiler.stopSampling');
    session.disconnect();
    session = undefined;
    return { top: topAllocators(profile, Number(url.searchParams.get('top') || 30)) };
  }
  if (url.pathname === '/heap') {
    await collect();
    const m = process.memoryUsage();
    const h = v8.getHeapStatistics();
    return {
      rss: m.rss,
      heapUsed: m.heapUsed,
      heapTotal: m.heapTotal,
      external: m.external,
      arrayBuffers: m.arrayBuffers,
      mallocedMemory: h.malloced_memory,
      resources: countResources(),
    };
  }
  if (url.pathname === '/snapshot') {
    await collect();
    return { file: v8.writeHeapSnapshot(url.searchParams.get('file') || undefined) };
  }
  throw Object.assign(new Error('not found'), { status: 404 });
}

// Node runs preloads in the module-hooks thread of `--import tsx` too: only the main thread listens.
if ((port > 0 || dir) && require('node:worker_threads').isMainThread) listen();

function listen() {
  const server = http.createServer((req, res) => {
    answer(req).then(
      (body) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body)),
      (err) => res.writeHead(err.status || 500).end(String(err.message)),
    );
  });
  server.listen(dir ? 0 : port, '127.0.0.1', () => {
    if (dir) require('node:fs').writeFileSync(require('node:path').join(dir, `${process.pid}.port`), String(server.address().port));
  });
  server.unref();
}
