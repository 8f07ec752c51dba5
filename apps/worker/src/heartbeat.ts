import fs from 'node:fs/promises';

/**
 * Touches `file` every `intervalMs` from the event loop, and removes it on stop: an orchestrator's exec probe
 * (deploy/kubernetes) reads the file's age, so a worker whose event loop is wedged stops being ready, then alive. A
 * worker has no port to probe.
 */
export function startHeartbeat(file: string, intervalMs: number, onError: (err: unknown) => void): () => Promise<void> {
  const touch = () => fs.writeFile(file, `${new Date().toISOString()}\n`).catch(onError);
  void touch();
  const timer = setInterval(() => void touch(), intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await fs.rm(file, { force: true });
  };
}
