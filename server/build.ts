// Bundles the server's own code into server/dist/main.js and the flow runner into client/flows/dist/cli.js
// with esbuild (packages stay in node_modules), so `npm start` and the installed `wechat-oa-simulator`
// command run plain Node: no TypeScript compiler loaded at run time, a faster start and less memory.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const serverDir = path.dirname(fileURLToPath(import.meta.url));
export const serverEntry = path.join(serverDir, 'dist', 'main.js');
export const flowsEntry = path.join(serverDir, '..', 'client', 'flows', 'dist', 'cli.js');

/** `split`: modules the entry imports dynamically go to chunks of their own, loaded (with their packages) only when used. */
function bundle(entry: string, outfile: string, split = false): Promise<unknown> {
  return build({
    entryPoints: [entry],
    ...(split ? { outdir: path.dirname(outfile), splitting: true, chunkNames: 'chunks/[name]-[hash]' } : { outfile }),
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: true,
    logLevel: 'warning',
  });
}

/** Builds the server's entry point, server/dist/main.js. */
export async function buildServer(): Promise<void> {
  await bundle(path.join(serverDir, 'main.ts'), serverEntry);
}

/** Builds the flow runner's command line, client/flows/dist/cli.js; the in-process server is a chunk it loads without --url. */
export async function buildFlows(): Promise<void> {
  await rm(path.dirname(flowsEntry), { recursive: true, force: true });
  await bundle(path.join(serverDir, '..', 'client', 'flows', 'cli.ts'), flowsEntry, true);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await Promise.all([buildServer(), buildFlows()]);
  for (const built of [serverEntry, flowsEntry]) process.stdout.write(`built: ${path.relative(process.cwd(), built)}\n`);
}
