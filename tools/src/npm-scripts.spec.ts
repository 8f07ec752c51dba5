import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './config-reference';

/**
 * Every `npm run` script that runs our TypeScript goes through infra/local/bootstrap.mjs, which installs the
 * dependencies of a fresh clone first: a script calling `node --import tsx …` itself stops there with
 * "Cannot find package 'tsx'".
 */
const scripts = (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
const BOOTSTRAP = 'node infra/local/bootstrap.mjs';

describe('the root package.json scripts', () => {
  it('start no TypeScript themselves', () => {
    const direct = Object.entries(scripts).filter(([, command]) => /\btsx\b|\.ts\b/.test(command.replace(/ run \S+\.ts\b/, '')));
    expect(direct).toEqual([]);
  });

  it.each(['simulate', 'jobs', 'watch-task', 'bench', 'capacity', 'cluster:ctl'])('%s runs its tool through the bootstrap', (name) => {
    expect(scripts[name]).toMatch(/^node infra\/local\/bootstrap\.mjs run \S+\.ts$/);
    expect(fs.existsSync(path.join(REPO_ROOT, scripts[name]!.split(' ')[3]!))).toBe(true);
  });

  it.each(['test:unit', 'build', 'lint', 'typecheck'])('%s runs Nx through the bootstrap', (name) => {
    expect(scripts[name]).toMatch(/^node infra\/local\/bootstrap\.mjs nx run-many -t /);
  });

  it('every script goes through the bootstrap, so each works as the first command in a fresh clone', () => {
    expect(Object.entries(scripts).filter(([, command]) => !command.startsWith(`${BOOTSTRAP} `))).toEqual([]);
  });

  it.each(['start', 'dev', 'test', 'services', 'cluster'])('%s starts the stack through the bootstrap', (name) => {
    expect(scripts[name]).toBe(`${BOOTSTRAP} ${name}`);
  });
});
