// Bundles the chat window with esbuild into client/dist: content-hashed assets and an index.html naming them.
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const clientDir = path.dirname(fileURLToPath(import.meta.url));

/** Builds the client into `outDir` (default client/dist) and returns the asset names. */
export async function buildClient(outDir = path.join(clientDir, 'dist')): Promise<{ app: string; styles: string }> {
  await rm(outDir, { recursive: true, force: true });
  const assets = path.join(outDir, 'assets');
  await mkdir(assets, { recursive: true });
  const result = await build({
    entryPoints: { app: path.join(clientDir, 'src/main.ts'), styles: path.join(clientDir, 'src/styles.css') },
    bundle: true,
    format: 'esm',
    target: ['es2022', 'chrome100', 'safari15'],
    minify: true,
    sourcemap: true,
    entryNames: '[name]-[hash]',
    outdir: assets,
    metafile: true,
    logLevel: 'warning',
  });
  const outputs = Object.keys(result.metafile.outputs).map((file) => path.basename(file));
  const app = outputs.find((f) => /^app-.*\.js$/.test(f));
  const styles = outputs.find((f) => /^styles-.*\.css$/.test(f));
  if (!app || !styles) throw new Error(`esbuild did not produce the expected assets: ${outputs.join(', ')}`);
  // The pages' bridge: one script of its own, at a fixed name, that the page proxy serves on every pages host.
  await build({ entryPoints: [path.join(clientDir, 'bridge/bridge.ts')], bundle: true, format: 'iife', target: ['es2020', 'chrome90', 'safari14'], minify: true, outfile: path.join(outDir, 'bridge.js'), logLevel: 'warning' });
  const html = (await readFile(path.join(clientDir, 'index.html'), 'utf8')).replace('%APP%', app).replace('%STYLES%', styles);
  await writeFile(path.join(outDir, 'index.html'), html);
  // Linked from index.html, so browsers ask for it instead of a favicon.ico that is not there.
  await copyFile(path.join(clientDir, 'favicon.svg'), path.join(outDir, 'favicon.svg'));
  return { app, styles };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { app, styles } = await buildClient();
  process.stdout.write(`client built: client/dist/assets/${app}, ${styles}\n`);
}
