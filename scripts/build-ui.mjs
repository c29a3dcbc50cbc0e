// Builds the web UI (ui/src -> ui/dist) with esbuild: one minified bundle, no CDN at run time.
// `node scripts/build-ui.mjs` writes ui/dist; `--check` builds in memory and exits 1 when the
// committed bundle differs from what the source builds to (the staleness test runs that).
import { build } from 'esbuild';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'ui', 'src');
const dist = join(root, 'ui', 'dist');

/** The files of ui/dist as the source builds them: name -> contents. */
export async function buildUi() {
  const out = await build({
    entryPoints: [join(src, 'main.js')],
    bundle: true,
    minify: true,
    format: 'iife',
    target: 'es2020',
    write: false,
    legalComments: 'none',
    absWorkingDir: root,
    logLevel: 'silent',
  });
  return {
    'app.js': out.outputFiles[0].text,
    'style.css': await readFile(join(src, 'style.css'), 'utf8'),
    'index.html': await readFile(join(root, 'ui', 'index.html'), 'utf8'),
    'favicon.svg': await readFile(join(root, 'ui', 'favicon.svg'), 'utf8'),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const files = await buildUi();
  if (process.argv.includes('--check')) {
    const stale = [];
    for (const [name, text] of Object.entries(files)) {
      const committed = await readFile(join(dist, name), 'utf8').catch(() => undefined);
      if (committed !== text) stale.push(name);
    }
    if (stale.length > 0) {
      console.error(`ui/dist is stale (${stale.join(', ')}): run npm run build:ui and commit ui/dist`);
      process.exit(1);
    }
  } else {
    await mkdir(dist, { recursive: true });
    for (const [name, text] of Object.entries(files)) await writeFile(join(dist, name), text);
    console.log(`ui/dist: ${Object.entries(files).map(([n, t]) => `${n} ${(t.length / 1024).toFixed(0)} KiB`).join(', ')}`);
  }
}
