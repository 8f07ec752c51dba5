import type { SweepStep } from '../scenarios/scenarios';

interface Series {
  name: string;
  color: string;
  points: Array<[x: number, y: number]>;
}

const W = 640;
const H = 360;
const PAD = { left: 60, right: 20, top: 30, bottom: 50 };
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** p99 commit → receipt against delivered frames per second, one line per system (a plain SVG, no library). */
export function p99Chart(steps: SweepStep[], title: string): string {
  const series: Series[] = [
    { name: 'product (HAProxy → nodes)', color: '#c0392b', points: steps.map((s) => [s.product.framesPerSec, s.product.p99Ms ?? 0]) },
    {
      name: 'bare Socket.IO, behind HAProxy',
      color: '#2471a3',
      points: steps.filter((s) => s.baseline).map((s) => [s.baseline!.framesPerSec, s.baseline!.p99Ms ?? 0]),
    },
    {
      name: 'bare Socket.IO, direct',
      color: '#7f8c8d',
      points: steps.filter((s) => s.baselineDirect).map((s) => [s.baselineDirect!.framesPerSec, s.baselineDirect!.p99Ms ?? 0]),
    },
  ].filter((s) => s.points.length > 0) as Series[];
  const all = series.flatMap((s) => s.points);
  const maxX = Math.max(1, ...all.map((p) => p[0])) * 1.05;
  const maxY = Math.max(10, ...all.map((p) => p[1]), 200) * 1.05;
  const x = (v: number) => PAD.left + (v / maxX) * (W - PAD.left - PAD.right);
  const y = (v: number) => H - PAD.bottom - (v / maxY) * (H - PAD.top - PAD.bottom);
  const ticks = (max: number) => Array.from({ length: 6 }, (_, i) => Math.round((max * i) / 5));
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="16" text-anchor="middle" font-size="13">${esc(title)}</text>`,
    ...ticks(maxY).map(
      (t) =>
        `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(t)}" y2="${y(t)}" stroke="#eee"/><text x="${PAD.left - 6}" y="${y(t) + 4}" text-anchor="end">${t}</text>`,
    ),
    ...ticks(maxX).map((t) => `<text x="${x(t)}" y="${H - PAD.bottom + 16}" text-anchor="middle">${t}</text>`),
    `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(200)}" y2="${y(200)}" stroke="#999" stroke-dasharray="4 3"/><text x="${W - PAD.right}" y="${y(200) - 4}" text-anchor="end" fill="#666">200 ms target</text>`,
    `<text x="${W / 2}" y="${H - 12}" text-anchor="middle">frames delivered per second (all sockets)</text>`,
    `<text x="14" y="${H / 2}" text-anchor="middle" transform="rotate(-90 14 ${H / 2})">p99 commit → receipt, ms</text>`,
  ];
  series.forEach((s, i) => {
    const pts = [...s.points].sort((a, b) => a[0] - b[0]);
    out.push(
      `<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${pts.map((p) => `${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join(' ')}"/>`,
    );
    for (const p of pts) out.push(`<circle cx="${x(p[0]).toFixed(1)}" cy="${y(p[1]).toFixed(1)}" r="3" fill="${s.color}"/>`);
    out.push(
      `<rect x="${PAD.left + 10}" y="${PAD.top + i * 16}" width="10" height="10" fill="${s.color}"/><text x="${PAD.left + 26}" y="${PAD.top + i * 16 + 9}">${esc(s.name)}</text>`,
    );
  });
  out.push('</svg>');
  return out.join('\n');
}
