import { CLIENT_MESSAGES } from '@taskflow/events';

/** Deterministic PRNG (mulberry32): a failing run is replayed from the printed seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Names that exist on every object: an event dispatch keyed on a plain object finds them. */
const PROTOTYPE_NAMES = [
  '__proto__',
  'toString',
  'constructor',
  'hasOwnProperty',
  'valueOf',
  '__defineGetter__',
  'isPrototypeOf',
  'toLocaleString',
  'propertyIsEnumerable',
  '__lookupGetter__',
];

export interface HostileFrame {
  data: string | Buffer;
  binary: boolean;
  kind: string;
  /** Ack id when the frame asks for an acknowledgement with an event name that must be answered UNKNOWN_EVENT. */
  unknownEventAck?: number;
  /** True when the frame breaks the protocol: the server may close the connection. */
  fatal: boolean;
}

const KNOWN = Object.keys(CLIENT_MESSAGES);

/**
 * 10 000 frames of the kinds a hostile or broken client sends: prototype names
 * as events, known events with wrong types and prototype-polluting payloads,
 * huge ids and numbers, lone surrogates, and (about one in twelve) frames that
 * break Engine.IO/Socket.IO framing: unknown packet types, bad JSON, invalid
 * UTF-8, binary frames, frames over the size limit.
 */
export function hostileFrames(seed: number, count: number): HostileFrame[] {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const int = (n: number) => Math.floor(rnd() * n);
  let ackId = 1;
  const randomText = (n: number) => Array.from({ length: n }, () => String.fromCharCode(int(0xffff))).join('');
  const weirdValues = (): unknown[] => [
    null,
    true,
    0,
    -1,
    1e308,
    -0,
    2 ** 53 + 1,
    '',
    'x'.repeat(int(20_000)),
    randomText(int(50)),
    [],
    {},
    [[[[[[[[[[]]]]]]]]]],
    { __proto__: { polluted: true } },
    JSON.parse('{"__proto__":{"polluted":true}}'),
    { constructor: { prototype: { polluted: true } } },
    { taskId: '../../etc/passwd' },
    { taskId: '00000000-0000-0000-0000-000000000000' },
    { taskId: 'A2B4C6D8-0000-4000-8000-00000000000A' },
    { taskId: 12345 },
    { taskId: ['x'] },
    { taskIds: 'all' },
    { taskIds: Array.from({ length: 500 }, () => crypto.randomUUID()) },
    { taskIds: [crypto.randomUUID()], since: { __proto__: 1 } },
    { taskIds: [crypto.randomUUID()], since: JSON.parse('{"__proto__":5}') },
    { taskIds: [crypto.randomUUID()], since: { toString: 1 } },
  ];
  const makers: Array<[weight: number, make: () => Omit<HostileFrame, 'binary'> & { binary?: boolean }]> = [
    [
      30,
      () => {
        const id = ackId++;
        return {
          kind: 'prototype-name',
          data: `42${id}${JSON.stringify([pick(PROTOTYPE_NAMES), pick(weirdValues())])}`,
          unknownEventAck: id,
          fatal: false,
        };
      },
    ],
    [25, () => ({ kind: 'known-wrong-types', data: `42${ackId++}${JSON.stringify([pick(KNOWN), pick(weirdValues())])}`, fatal: false })],
    [
      8,
      () => ({
        kind: 'known-extra-args',
        data: `42${JSON.stringify([pick(KNOWN), pick(weirdValues()), pick(weirdValues()), pick(weirdValues())])}`,
        fatal: false,
      }),
    ],
    [
      8,
      () => ({
        kind: 'huge-ack-id',
        // 10+ digits: above every sequential ack id, so its answer is never taken for another frame's (a `999` once was).
        data: `42${'9'.repeat(10 + int(31))}${JSON.stringify([pick([...KNOWN, ...PROTOTYPE_NAMES]), {}])}`,
        fatal: false,
      }),
    ],
    [
      8,
      () => {
        const id = ackId++;
        return { kind: 'random-event-name', data: `42${id}${JSON.stringify([randomText(1 + int(300)), {}])}`, fatal: false };
      },
    ],
    [4, () => ({ kind: 'lone-surrogates', data: `42["task:join",{"taskId":"\\ud800\\udbff${randomText(5)}"}]`, fatal: false })],
    [4, () => ({ kind: 'ack-for-nothing', data: `43${int(1000)}[{"ok":true}]`, fatal: false })],
    [
      2,
      () => ({
        kind: 'bad-json',
        data: pick(['42[', '42["task:join",', '42{"a":1}', '42[]', '42[1,2]', '42[null]', '42"str"', '42[{}]']),
        fatal: true,
      }),
    ],
    [
      2,
      () => ({
        kind: 'bad-packet-type',
        data: pick([
          '49',
          '4x',
          '47[]',
          '45-["task:join",{}]',
          '46',
          '4',
          '7',
          '9',
          '',
          '0{"sid":"x"}',
          '1',
          '5',
          '6',
          '41/admin,',
          '40/x,{}',
        ]),
        fatal: true,
      }),
    ],
    [2, () => ({ kind: 'bad-utf8', data: Buffer.from([0x34, 0x32, 0x5b, 0x22, 0xff, 0xfe, 0xc3, 0x28, 0x22, 0x5d]), fatal: true })],
    [2, () => ({ kind: 'binary', data: Buffer.from(Array.from({ length: 1 + int(200) }, () => int(256))), binary: true, fatal: true })],
    [1, () => ({ kind: 'oversized', data: `42["task:join",{"taskId":"${'x'.repeat(40_000)}"}]`, fatal: true })],
  ];
  const total = makers.reduce((n, [w]) => n + w, 0);
  return Array.from({ length: count }, () => {
    let r = rnd() * total;
    const [, make] = makers.find(([w]) => (r -= w) < 0) ?? makers[0]!;
    const frame = make();
    return { binary: false, ...frame };
  });
}
