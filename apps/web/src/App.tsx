import { useEffect, useState } from 'react';
import { LEGEND } from './status-style';

type Health = { status: string; node: string } | { status: 'unreachable' };

/** Placeholder shell until the dashboard lands: shows the node's health and the status legend. */
export function App() {
  const [health, setHealth] = useState<Health | null>(null);
  useEffect(() => {
    fetch('/api/health')
      .then((r) => r.json() as Promise<Health>)
      .then(setHealth)
      .catch(() => setHealth({ status: 'unreachable' }));
  }, []);
  return (
    <main style={{ fontFamily: 'system-ui, sans-serif', margin: '2rem' }}>
      <h1>Taskflow Live</h1>
      <p>Server: {health ? health.status : 'checking…'}</p>
      <ul>
        {LEGEND.map((l) => (
          <li key={l.status} style={{ color: l.colour }}>
            {l.label}
          </li>
        ))}
      </ul>
    </main>
  );
}
