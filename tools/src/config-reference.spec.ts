import fs from 'node:fs';
import path from 'node:path';
import { Type } from '@sinclair/typebox';
import { Env } from '@taskflow/platform';
import { CONFIG_DOC, CONFIG_DOC_COMMAND, ENV_SOURCES, REPO_ROOT, renderConfigReference, undescribed } from './config-reference';

describe('docs/configuration.md', () => {
  it('is what the env schemas render today', () => {
    const committed = fs.readFileSync(path.join(REPO_ROOT, CONFIG_DOC), 'utf8');
    const current = renderConfigReference();
    if (committed !== current) throw new Error(`${CONFIG_DOC} is stale: run \`${CONFIG_DOC_COMMAND}\` and commit the result.`);
  });

  it('describes every variable of every app', () => {
    expect(undescribed()).toEqual([]);
  });

  it('lists every variable of the server, the worker and the stack, each once', () => {
    const doc = renderConfigReference();
    const names = new Set(ENV_SOURCES.flatMap(({ schema }) => Object.keys(schema.properties)));
    expect(names.size).toBeGreaterThan(80);
    for (const name of names) expect([name, doc.split('\n').filter((l) => l.startsWith(`| \`${name}\``)).length]).toEqual([name, 1]);
  });
});

describe('renderConfigReference', () => {
  const sources = [
    {
      app: 'server',
      schema: Type.Object({
        PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000, description: 'Port | of the node.' }),
        POOL: Type.Integer({ minimum: 1, default: 10, description: 'Connections.' }),
        URL: Type.Optional(Env.url()),
        LEVEL: Env.logLevel(),
        ID: Type.String({ default: `server-${process.pid}`, description: 'Name in logs.' }),
      }),
    },
    { app: 'worker', schema: Type.Object({ POOL: Type.Integer({ minimum: 1, default: 5, description: 'Connections.' }) }) },
  ];

  it('renders types, defaults and descriptions, one row per variable, per app where the apps differ', () => {
    const rows = renderConfigReference(sources)
      .split('\n')
      .filter((l) => /^\| `/.test(l));
    const cells = rows.map((r) =>
      r
        .split(/(?<!\\)\|/)
        .slice(1, -1)
        .map((c) => c.trim()),
    );
    expect(cells).toEqual([
      ['`PORT`', 'server', 'integer, ≥ 0, ≤ 65535', '`3000`', 'Port \\| of the node.'],
      ['`POOL`', 'server, worker', 'integer, ≥ 1', 'server: `10`<br>worker: `5`', 'Connections.'],
      ['`URL`', 'server', 'URL', 'unset', ''],
      ['`LEVEL`', 'server', '`fatal`, `error`, `warn`, `info`, `debug`, `trace`, `silent`', '`info`', ''],
      ['`ID`', 'server', 'string', '`server-<pid>`', 'Name in logs.'],
    ]);
  });

  it('names the variables without a description', () => {
    expect(undescribed(sources)).toEqual(['server: URL', 'server: LEVEL']);
  });
});
