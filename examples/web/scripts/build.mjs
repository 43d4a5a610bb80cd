// Bundle the page into dist/: app.js (esbuild, minified, with a source map), index.html, style.css.
// config.json is not part of the build: scripts/config.mjs writes it for the stack in use, and
// index.html again with that stack's Content-Security-Policy (the one copied here lets the page
// reach its own origin only).
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
mkdirSync(dist, { recursive: true });
const result = await build({
  entryPoints: [join(root, 'src', 'app.ts')],
  outfile: join(dist, 'app.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['chrome120', 'firefox120', 'safari16'],
  minify: true,
  sourcemap: true,
  metafile: true,
  logLevel: 'warning',
});
for (const file of ['index.html', 'style.css']) copyFileSync(join(root, 'src', file), join(dist, file));
const bytes = Object.values(result.metafile.outputs).reduce((sum, o) => sum + (o.bytes ?? 0), 0);
console.log(`web: built dist/ (app.js and its map: ${(bytes / 1024).toFixed(0)} KiB)`);
