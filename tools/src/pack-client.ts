import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import ts from 'typescript';

/**
 * `npm run client:pack [-- --out <dir>]`: @taskflow/client as a package an integrator installs outside this
 * repository (docs/websocket.md#integrate-with-taskflowclient). In the workspace the client and the contract it
 * depends on (@taskflow/events) are private source packages; this bundles both into one self-contained package:
 * ESM and CommonJS builds, type declarations, and only public npm dependencies (socket.io-client as a peer, so the
 * integrator's copy is the one used; TypeBox, which the contract's types are written in). Prints the tarball's path.
 */
export const REPO_ROOT = path.resolve(__dirname, '../..');
const CLIENT_DIR = path.join(REPO_ROOT, 'libs/client');
const ENTRY = path.join(CLIENT_DIR, 'src/index.ts');
/** Resolved by the integrator's npm, not bundled. */
const EXTERNAL = ['socket.io-client', '@sinclair/typebox'];

interface PackageJson {
  name: string;
  version: string;
  description?: string;
  dependencies?: Record<string, string>;
}

const readPackage = (dir: string): PackageJson => JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as PackageJson;

/** The JavaScript: one file per module format, @taskflow/events inlined (its sources, as the workspace resolves them). */
async function bundle(outDir: string): Promise<void> {
  for (const [format, file] of [
    ['esm', 'index.mjs'],
    ['cjs', 'index.cjs'],
  ] as const) {
    await build({
      entryPoints: [ENTRY],
      outfile: path.join(outDir, file),
      bundle: true,
      format,
      // Node and browsers: no Node built-ins, no browser globals assumed by the bundler.
      platform: 'neutral',
      mainFields: ['module', 'main'],
      conditions: ['taskflow-source'],
      target: 'es2022',
      external: EXTERNAL,
      sourcemap: true,
      logLevel: 'warning',
    });
  }
}

/**
 * The declarations, from the same sources: the client's and the contract's, side by side, the client's imports of
 * @taskflow/events turned into relative ones so nothing private is left to resolve.
 */
function declarations(outDir: string): string {
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.Node16,
    moduleResolution: ts.ModuleResolutionKind.Node16,
    // As a path, not through node_modules: TypeScript emits no declarations for what it finds in a package there.
    paths: { '@taskflow/events': [path.join(REPO_ROOT, 'libs/events/src/index.ts')] },
    strict: true,
    skipLibCheck: true,
    esModuleInterop: true,
    declaration: true,
    emitDeclarationOnly: true,
    rootDir: path.join(REPO_ROOT, 'libs'),
    outDir,
    types: [],
  };
  const program = ts.createProgram([ENTRY], options);
  const result = program.emit();
  const problems = [...ts.getPreEmitDiagnostics(program), ...result.diagnostics].filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (problems.length > 0) {
    const host = { getCanonicalFileName: (f: string) => f, getCurrentDirectory: () => REPO_ROOT, getNewLine: () => '\n' };
    throw new Error(`the declarations do not compile:\n${ts.formatDiagnostics(problems, host)}`);
  }
  const eventsIndex = path.join(outDir, 'events/src/index');
  for (const file of fs.readdirSync(outDir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.d.ts'))) {
    const full = path.join(outDir, file);
    const relative = path.relative(path.dirname(full), eventsIndex).split(path.sep).join('/');
    const text = fs.readFileSync(full, 'utf8');
    const rewritten = text.replace(/(['"])@taskflow\/events\1/g, `'${relative.startsWith('.') ? relative : `./${relative}`}'`);
    if (/['"]@taskflow\//.test(rewritten)) throw new Error(`${file} still refers to a private package`);
    fs.writeFileSync(full, rewritten);
  }
  return 'client/src/index.d.ts';
}

/** Builds the package in a scratch directory and packs it into `outDir`; returns the tarball's path. */
export async function packClient(outDir: string): Promise<string> {
  const client = readPackage(CLIENT_DIR);
  const events = readPackage(path.join(REPO_ROOT, 'libs/events'));
  const socketIo = client.dependencies?.['socket.io-client'];
  const typebox = events.dependencies?.['@sinclair/typebox'];
  if (!socketIo || !typebox) throw new Error('libs/client must depend on socket.io-client and libs/events on @sinclair/typebox');
  const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'taskflow-client-pack-'));
  try {
    await bundle(path.join(stage, 'dist'));
    const types = `./dist/types/${declarations(path.join(stage, 'dist/types'))}`;
    const manifest = {
      name: client.name,
      version: client.version,
      description: client.description,
      license: 'UNLICENSED',
      main: './dist/index.cjs',
      module: './dist/index.mjs',
      types,
      exports: { '.': { types, import: './dist/index.mjs', require: './dist/index.cjs' }, './package.json': './package.json' },
      files: ['dist', 'README.md'],
      peerDependencies: { 'socket.io-client': socketIo },
      dependencies: { '@sinclair/typebox': typebox },
    };
    fs.writeFileSync(path.join(stage, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    fs.writeFileSync(
      path.join(stage, 'README.md'),
      `# ${client.name}\n\n${client.description ?? ''}\n\nBuilt from the Taskflow Live repository (\`npm run client:pack\`); see its docs/websocket.md.\n`,
    );
    fs.mkdirSync(outDir, { recursive: true });
    const packed = JSON.parse(
      execFileSync('npm', ['pack', '--json', '--pack-destination', path.resolve(outDir)], { cwd: stage, encoding: 'utf8' }),
    ) as Array<{ filename: string }>;
    return path.join(path.resolve(outDir), packed[0]!.filename);
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const at = process.argv.indexOf('--out');
  const outDir = at > 0 && process.argv[at + 1] ? path.resolve(process.argv[at + 1]!) : path.join(CLIENT_DIR, 'dist');
  packClient(outDir).then(
    (tarball) => process.stdout.write(`${tarball}\n`),
    (err: Error) => {
      process.stderr.write(`client:pack failed: ${err.message}\n`);
      process.exit(1);
    },
  );
}
