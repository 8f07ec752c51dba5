// Copies the root manifest's workspaces' package.json files (same relative paths) into
// the directory given as argument: the image build installs dependencies from these alone,
// so its `npm ci` layer is reused until a dependency changes. npm ci refuses a lockfile
// whose workspaces are not all present, hence every workspace, found from package.json.
import fs from 'node:fs';
import path from 'node:path';

const [target] = process.argv.slice(2);
if (!target) throw new Error('usage: node collect-manifests.mjs <target-dir>');
const { workspaces = [] } = JSON.parse(fs.readFileSync('package.json', 'utf8'));
const dirs = workspaces.flatMap((pattern) => {
  if (!pattern.endsWith('/*')) return [pattern];
  const parent = pattern.slice(0, -2);
  return fs.readdirSync(parent).map((name) => path.join(parent, name));
});
for (const dir of dirs) {
  const manifest = path.join(dir, 'package.json');
  if (!fs.existsSync(manifest)) continue;
  fs.mkdirSync(path.join(target, dir), { recursive: true });
  fs.copyFileSync(manifest, path.join(target, manifest));
}
