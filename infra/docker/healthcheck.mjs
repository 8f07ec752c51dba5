// Container HEALTHCHECK of a server node: exit 0 when /api/ready answers 200.
// Plain Node because the slim image has no curl; PORT is the node's own port.
const port = process.env.PORT || '3000';
try {
  const res = await fetch(`http://127.0.0.1:${port}/api/ready`, { signal: AbortSignal.timeout(3000) });
  if (!res.ok) process.stderr.write(`not ready: ${res.status} ${await res.text()}\n`);
  process.exit(res.ok ? 0 : 1);
} catch (err) {
  process.stderr.write(`no answer on port ${port}: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
