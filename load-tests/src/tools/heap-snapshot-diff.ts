import fs from 'node:fs';

/** Objects of one kind in a heap snapshot: how many, and their own (shallow) bytes. */
export interface HeapGroup {
  count: number;
  selfBytes: number;
}

interface RawSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

/** Node types whose `name` is content (a string's text, a number), not a kind: grouped by type alone. */
const CONTENT_TYPES = new Set(['string', 'concatenated string', 'sliced string', 'number', 'code', 'regexp', 'bigint']);

/**
 * Groups a `.heapsnapshot` file's nodes by kind (`object Socket`, `closure onAny`, `array (object elements)`,
 * `(string)`…) with their count and shallow size. Snapshots of a few thousand sockets are some 100 MB of JSON:
 * parsed whole, once.
 */
export function groupHeapSnapshot(file: string): Map<string, HeapGroup> {
  const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as RawSnapshot;
  const fields = raw.snapshot.meta.node_fields;
  const types = raw.snapshot.meta.node_types[0];
  const width = fields.length;
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f)) as [number, number, number];
  const groups = new Map<string, HeapGroup>();
  for (let i = 0; i < raw.nodes.length; i += width) {
    const type = types[raw.nodes[i + typeAt]!] ?? 'unknown';
    const key = CONTENT_TYPES.has(type) ? `(${type})` : `${type} ${raw.strings[raw.nodes[i + nameAt]!] ?? ''}`.slice(0, 80);
    const g = groups.get(key) ?? { count: 0, selfBytes: 0 };
    g.count += 1;
    g.selfBytes += raw.nodes[i + sizeAt]!;
    groups.set(key, g);
  }
  return groups;
}

export interface GroupDelta {
  kind: string;
  /** Added objects of this kind per socket. */
  countPerSocket: number;
  bytesPerSocket: number;
}

/** What `after` holds more than `before`, per socket, largest first. */
export function diffPerSocket(before: Map<string, HeapGroup>, after: Map<string, HeapGroup>, sockets: number): GroupDelta[] {
  const kinds = new Set([...before.keys(), ...after.keys()]);
  const rows: GroupDelta[] = [];
  for (const kind of kinds) {
    const a = before.get(kind) ?? { count: 0, selfBytes: 0 };
    const b = after.get(kind) ?? { count: 0, selfBytes: 0 };
    rows.push({ kind, countPerSocket: (b.count - a.count) / sockets, bytesPerSocket: (b.selfBytes - a.selfBytes) / sockets });
  }
  return rows.sort((x, y) => y.bytesPerSocket - x.bytesPerSocket);
}
