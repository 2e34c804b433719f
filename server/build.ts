// Bundles the server's own code into server/dist/main.js and the flow runner into client/flows/dist/cli.js
// with esbuild (packages stay in node_modules), so `npm start` and the installed `wechat-oa-simulator`
// command run plain Node: no TypeScript compiler loaded at run time, a faster start and less memory.
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const serverDir = path.dirname(fileURLToPath(import.meta.url));
export const serverEntry = path.join(serverDir, 'dist', 'main.js');
export const flowsEntry = path.join(serverDir, '..', 'client', 'flows', 'dist', 'cli.js');

function bundle(entry: string, outfile: string): Promise<unknown> {
  return build({
    entryPoints: [entry],
    outfile,
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

/** Builds the flow runner's command line, client/flows/dist/cli.js. */
export async function buildFlows(): Promise<void> {
  await bundle(path.join(serverDir, '..', 'client', 'flows', 'cli.ts'), flowsEntry);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await Promise.all([buildServer(), buildFlows()]);
  for (const built of [serverEntry, flowsEntry]) process.stdout.write(`built: ${path.relative(process.cwd(), built)}\n`);
}
